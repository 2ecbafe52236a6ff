using CondensaPS.Engine.Native;
using CondensaPS.Engine.Data;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>Extra inputs the teacher labels for free, made from each training batch.</summary>
public enum TeacherInputKind
{
    None,
    /// <summary>Each sample mixed with another of the batch, x' = l x_i + (1 - l) x_j, l uniform in [0, 1] per sample.</summary>
    Mixup,
    /// <summary>The batch's samples shifted by up to the data set's augmentation padding (an eighth of the height by default).</summary>
    Shift,
    /// <summary>The batch plus Gaussian noise of one standard deviation of the normalised input times the noise scale.</summary>
    Noise,
    /// <summary>Each sample rotated (up to 15 degrees), scaled (up to 10%) and moved (up to an eighth of its size), at random.</summary>
    Affine,
    /// <summary>Each sample distorted by a smooth random displacement field (Simard et al. 2003: alpha 34, sigma 4 at 28x28).</summary>
    Elastic,
    /// <summary>A random rectangle of each sample replaced by the same rectangle of another (CutMix), its area uniform in [0, 1].</summary>
    CutMix,
}

/// <summary>
/// Makes the extra inputs of one batch: the student learns the teacher's outputs on them through the loss's terms
/// that need no labels (distillation, teacher-label, logit terms), so it sees the teacher's decisions between and
/// around the training samples, where labels would have to be invented. Each kind adds one batch of the batch's size,
/// and so does the pool of unlabelled inputs (teacher data) when there is one.
/// Seeded: the same seed gives the same inputs. Geometric kinds fill what moves in with the input's zero pixel
/// (black before normalisation).
/// </summary>
internal sealed class TeacherInputs : IDisposable
{
    /// <summary>Affine inputs: the largest rotation (degrees), relative scale change and shift (share of the side).</summary>
    public const double MaxRotationDegrees = 15, MaxScale = 0.1, MaxShift = 0.125;
    /// <summary>Elastic inputs at 28x28 (Simard et al.): displacement scale alpha and smoothing sigma, in pixels; scaled with the side.</summary>
    public const double ElasticAlpha = 34, ElasticSigma = 4;

    private readonly IReadOnlyList<TeacherInputKind> _kinds;
    private readonly Dataset _shifted;
    private readonly double _noise;
    private readonly Generator _generator;
    private readonly Tensor _background;
    private readonly Dataset? _pool;
    private readonly Random _poolRandom;

    /// <summary>
    /// <paramref name="pool"/> (or null): unlabelled inputs, normalised as <paramref name="data"/>; each batch adds
    /// one batch of them drawn at random (with replacement, seeded).
    /// </summary>
    public TeacherInputs(IReadOnlyList<TeacherInputKind> kinds, Dataset data, int seed, double noise = 0.5, Dataset? pool = null)
    {
        _kinds = kinds.Where(k => k != TeacherInputKind.None).ToList();
        _pool = pool is { Count: > 0 } ? pool : null;
        _poolRandom = new Random(unchecked(seed * 13 + 5));
        _shifted = data.WithTransforms(data.Mean, data.Std, augment: true, flip: false, seed: seed);
        _noise = noise;
        _generator = new Generator((ulong)unchecked((uint)(seed * 7 + 11)));
        // The normalised value of a black pixel, per channel: what geometric transforms bring in at the edges.
        var zero = new float[data.Channels];
        for (int c = 0; c < zero.Length; c++)
        {
            double mean = data.Mean is null ? 0 : data.Mean[data.Mean.Count == 1 ? 0 : c];
            double std = data.Std is null ? 1 : data.Std[data.Std.Count == 1 ? 0 : c];
            zero[c] = (float)(-mean / std);
        }
        _background = tensor(zero, new long[] { 1, zero.Length, 1, 1 });
    }

    /// <summary>The normalised value of a black pixel per channel ([1, C, 1, 1]).</summary>
    internal Tensor Background => _background;

    public TeacherInputs(TeacherInputKind kind, Dataset data, int seed, double noise = 0.5) : this(new[] { kind }, data, seed, noise) { }

    public bool Any => _kinds.Count > 0 || _pool != null;

    /// <summary>The extra inputs for the batch <paramref name="inputs"/> (made from order[start..start+count)), one batch per kind, concatenated, in the caller's dispose scope.</summary>
    public Tensor Make(Tensor inputs, int[] order, int start, int count, Random random)
    {
        if (!Any) throw new InvalidOperationException("no teacher inputs to make");
        var made = _kinds.Select(kind => kind switch
        {
            TeacherInputKind.Mixup => Mix(inputs),
            TeacherInputKind.Shift => _shifted.Batch(order, start, count, random).Inputs,
            TeacherInputKind.Noise => inputs + randn(inputs.shape, generator: _generator).Times(_noise),
            TeacherInputKind.Affine => Affine(inputs),
            TeacherInputKind.Elastic => Elastic(inputs),
            TeacherInputKind.CutMix => CutMix(inputs),
            _ => throw new InvalidOperationException($"unknown teacher input kind {kind}"),
        }).ToList();
        if (_pool != null)
        {
            var drawn = new int[count];
            for (int i = 0; i < count; i++) drawn[i] = _poolRandom.Next(_pool.Count);
            made.Add(_pool.Batch(drawn, 0, count, null, inputs.device).Inputs);
        }
        return made.Count == 1 ? made[0] : cat(made, 0);
    }

    public void Dispose()
    {
        _generator.Dispose();
        _background.Dispose();
    }

    private Tensor Mix(Tensor inputs)
    {
        long n = inputs.shape[0];
        var partner = inputs.index_select(0, randperm(n, generator: _generator));
        var share = rand(new long[] { n, 1, 1, 1 }, generator: _generator);
        return inputs * share + partner * share.SubtractedFrom(1);
    }

    /// <summary>Uniform random values in [-1, 1], n of them.</summary>
    private Tensor Symmetric(long n) => rand(new[] { n }, generator: _generator).TimesPlus(2, -1);

    private Tensor Affine(Tensor inputs)
    {
        long n = inputs.shape[0];
        var angle = Symmetric(n).Times(MaxRotationDegrees * Math.PI / 180);
        var scale = Symmetric(n).TimesPlus(MaxScale, 1);
        var shiftX = Symmetric(n).Times(MaxShift);
        var shiftY = Symmetric(n).Times(MaxShift);
        return Transform(inputs, angle, scale, shiftX, shiftY, _background);
    }

    /// <summary>
    /// Each sample i scaled by scale[i] about its centre, turned by angle[i] radians (counter-clockwise as displayed,
    /// rows running down) and moved right and down by shiftX[i] and shiftY[i] of its width and height; bilinear, with
    /// <paramref name="background"/> where nothing maps in. In grid_sample's coordinates ([-1, 1] across the image)
    /// output point p samples the input at A (p - 2 shift), A = [[cos, -sin], [sin, cos]] / scale.
    /// </summary>
    internal static Tensor Transform(Tensor inputs, Tensor angle, Tensor scale, Tensor shiftX, Tensor shiftY, Tensor background)
    {
        // affine_grid maps output coordinates in [-1, 1] to input ones: the inverse transform. Moving the content
        // right by s of the width means sampling 2 s to the left.
        var cos = angle.cos() / scale;
        var sin = angle.sin() / scale;
        var tx = (cos * shiftX - sin * shiftY).Times(-2);
        var ty = (sin * shiftX + cos * shiftY).Times(-2);
        var theta = stack(new[] { stack(new[] { cos, -sin, tx }, 1), stack(new[] { sin, cos, ty }, 1) }, 1);
        var grid = nn.functional.affine_grid(theta, inputs.shape, align_corners: false);
        return Resample(inputs, grid, background, alignCorners: false);
    }

    private Tensor Elastic(Tensor inputs)
    {
        long n = inputs.shape[0], h = inputs.shape[2], w = inputs.shape[3];
        double side = Math.Min(h, w) / 28.0;
        double sigma = Math.Max(0.5, ElasticSigma * side), alpha = ElasticAlpha * side;
        int radius = Math.Max(1, (int)Math.Ceiling(2 * sigma));
        var offsets = arange(-radius, radius + 1, dtype: ScalarType.Float32);
        var kernel = (offsets * offsets).Over(-(2 * sigma * sigma)).exp();
        kernel = kernel / kernel.sum();
        // A displacement field uniform in [-1, 1] per pixel and axis, smoothed by a separable Gaussian, times alpha.
        var field = rand(new[] { n * 2, 1, h, w }, generator: _generator).TimesPlus(2, -1);
        field = nn.functional.conv2d(field, kernel.view(1, 1, 1, -1), padding: new long[] { 0, radius });
        field = nn.functional.conv2d(field, kernel.view(1, 1, -1, 1), padding: new long[] { radius, 0 });
        return Displace(inputs, field.view(n, 2, h, w).Times(alpha), _background);
    }

    /// <summary>
    /// Each output pixel (y, x) of sample i takes the input at (y + field[i, 1, y, x], x + field[i, 0, y, x]) (pixels,
    /// bilinear), <paramref name="background"/> outside.
    /// </summary>
    internal static Tensor Displace(Tensor inputs, Tensor field, Tensor background)
    {
        long h = inputs.shape[2], w = inputs.shape[3];
        var ys = arange(h, dtype: ScalarType.Float32).view(1, h, 1);
        var xs = arange(w, dtype: ScalarType.Float32).view(1, 1, w);
        // Pixel coordinates to grid_sample's [-1, 1] with align_corners: -1 and 1 are the corner pixels' centres.
        var gx = (xs + field.select(1, 0)).TimesPlus(2.0 / Math.Max(1, w - 1), -1);
        var gy = (ys + field.select(1, 1)).TimesPlus(2.0 / Math.Max(1, h - 1), -1);
        return Resample(inputs, stack(new[] { gx, gy }, 3), background, alignCorners: true);
    }

    private Tensor CutMix(Tensor inputs)
    {
        long n = inputs.shape[0], h = inputs.shape[2], w = inputs.shape[3];
        var partner = inputs.index_select(0, randperm(n, generator: _generator));
        // Per sample a rectangle of a uniform share of the area (sides sqrt(share) of the image's), placed uniformly.
        var side = rand(new[] { n }, generator: _generator).sqrt();
        var rh = side.Times(h).round();
        var rw = side.Times(w).round();
        var top = (rand(new[] { n }, generator: _generator) * rh.SubtractedFrom(h + 1)).floor();
        var left = (rand(new[] { n }, generator: _generator) * rw.SubtractedFrom(w + 1)).floor();
        return Paste(inputs, partner, top, left, rh, rw);
    }

    /// <summary>Sample i with rows [top, top + height) and columns [left, left + width) taken from partner i.</summary>
    internal static Tensor Paste(Tensor inputs, Tensor partner, Tensor top, Tensor left, Tensor height, Tensor width)
    {
        long n = inputs.shape[0], h = inputs.shape[2], w = inputs.shape[3];
        var ys = arange(h, dtype: ScalarType.Float32).view(1, h, 1);
        var xs = arange(w, dtype: ScalarType.Float32).view(1, 1, w);
        var inside = ys.ge(top.view(n, 1, 1)) & ys.lt((top + height).view(n, 1, 1)) & xs.ge(left.view(n, 1, 1)) & xs.lt((left + width).view(n, 1, 1));
        return where(inside.unsqueeze(1), partner, inputs);
    }

    /// <summary>grid_sample with <paramref name="background"/> (the normalised black pixel, [1, C, 1, 1]) outside the image.</summary>
    private static Tensor Resample(Tensor inputs, Tensor grid, Tensor background, bool alignCorners) =>
        nn.functional.grid_sample(inputs - background, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, alignCorners) + background;
}
