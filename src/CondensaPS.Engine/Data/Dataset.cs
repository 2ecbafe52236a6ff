using System.Globalization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Data;

/// <summary>
/// An in-memory image data set: uint8 samples of one shape (channels, height, width) and integer class labels, with
/// the transforms applied when batches are made (scaling to [0, 1], per-channel normalisation, optional training
/// augmentation by random crop with padding and horizontal flip). Batches are drawn in an order that depends only on
/// the seed and the epoch, so a run is reproducible.
/// </summary>
public sealed class Dataset
{
    private readonly byte[] _pixels;
    private readonly long[] _labels;

    internal Dataset(string name, string source, string format, byte[] pixels, long[] labels, int channels, int height, int width, int classes, IReadOnlyList<string>? classNames = null)
    {
        if (pixels.LongLength != (long)labels.Length * channels * height * width)
            throw new ArgumentException("pixel count does not match labels x sample shape");
        _pixels = pixels;
        _labels = labels;
        Name = name;
        Source = source;
        Format = format;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        ClassNames = classNames ?? Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var counts = new long[classes];
        foreach (var l in labels) counts[l]++;
        ClassCounts = counts;
    }

    public string Name { get; set; }
    public string Source { get; }
    /// <summary>Idx, Cifar10, ImageFolder, SafeTensors.</summary>
    public string Format { get; }
    public int Count => _labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public IReadOnlyList<long> SampleShape => new long[] { Channels, Height, Width };
    public string Shape => $"{Channels}x{Height}x{Width}";
    public int Classes { get; }
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Samples per class, by class index.</summary>
    public IReadOnlyList<long> ClassCounts { get; }
    /// <summary>"0:980 1:1135 ..." (the class balance in one line).</summary>
    public string ClassBalance => string.Join(" ", ClassCounts.Select((c, i) => $"{ClassNames[i]}:{c}"));
    /// <summary>Per-channel mean subtracted after scaling to [0, 1] (null: none).</summary>
    public IReadOnlyList<double>? Mean { get; private set; }
    public IReadOnlyList<double>? Std { get; private set; }
    /// <summary>Training augmentation: random crop after zero padding by <see cref="AugmentPadding"/>, and horizontal flips when <see cref="AugmentFlip"/>.</summary>
    public bool Augment { get; private set; }
    public int AugmentPadding { get; private set; }
    public bool AugmentFlip { get; private set; }
    /// <summary>The seed of the batch order and of the augmentation.</summary>
    public int Seed { get; private set; }
    /// <summary>
    /// The sample size before the one-time bilinear resize done at import ("28x28", or "mixed" for an image folder of
    /// several sizes); null when the samples were not resized.
    /// </summary>
    public string? ResizedFrom { get; internal init; }

    public string Transforms
    {
        get
        {
            var parts = new List<string>();
            if (ResizedFrom != null) parts.Add($"resize {ResizedFrom} -> {Height}x{Width} bilinear (at import)");
            parts.Add("scale 1/255");
            if (Mean != null) parts.Add($"normalize mean {string.Join(",", Mean.Select(F))} std {string.Join(",", Std!.Select(F))}");
            if (Augment) parts.Add($"augment crop pad {AugmentPadding}{(AugmentFlip ? " + hflip" : "")}");
            return string.Join("; ", parts);
        }
    }

    /// <summary>Each sample's class index, in data-set order (a copy): for per-sample scores such as a class frequency.</summary>
    public long[] GetLabels() => _labels.ToArray();

    internal long Label(int index) => _labels[index];
    internal IReadOnlyList<long> Labels => _labels;
    /// <summary>The raw samples, N x C x H x W bytes (not to be modified).</summary>
    internal byte[] Pixels => _pixels;

    /// <summary>A copy sharing the samples with other transforms (normalisation, augmentation, seed).</summary>
    public Dataset WithTransforms(IReadOnlyList<double>? mean, IReadOnlyList<double>? std, bool augment, int? padding = null, bool? flip = null, int? seed = null)
    {
        if ((mean is null) != (std is null))
            throw new EngineException("DatasetBadNormalize", EngineErrorKind.InvalidArgument, "Normalisation needs both a mean and a standard deviation.");
        if (mean != null)
        {
            if ((mean.Count != 1 && mean.Count != Channels) || std!.Count != mean.Count)
                throw new EngineException("DatasetBadNormalize", EngineErrorKind.InvalidArgument,
                    $"Normalisation takes one mean and one std, or {Channels} of each (one per channel); got {mean.Count} and {std!.Count}.", mean);
            if (std.Any(s => !(s > 0)))
                throw new EngineException("DatasetBadNormalize", EngineErrorKind.InvalidArgument, $"Standard deviations must be > 0; got {string.Join(",", std.Select(F))}.", std);
        }
        return new Dataset(Name, Source, Format, _pixels, _labels, Channels, Height, Width, Classes, ClassNames)
        {
            Mean = mean?.ToList(),
            Std = std?.ToList(),
            Augment = augment,
            AugmentPadding = padding ?? (AugmentPadding > 0 ? AugmentPadding : Math.Max(1, Height / 8)),
            AugmentFlip = flip ?? AugmentFlip,
            Seed = seed ?? Seed,
            ResizedFrom = ResizedFrom,
        };
    }

    /// <summary>The first <paramref name="count"/> samples (or all), keeping the transforms.</summary>
    public Dataset Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        long per = (long)Channels * Height * Width;
        var pixels = new byte[count * per];
        Array.Copy(_pixels, pixels, pixels.LongLength);
        return new Dataset($"{Name}[0..{count}]", Source, Format, pixels, _labels.Take(count).ToArray(), Channels, Height, Width, Classes, ClassNames)
        {
            Mean = Mean, Std = Std, Augment = Augment, AugmentPadding = AugmentPadding, AugmentFlip = AugmentFlip, Seed = Seed, ResizedFrom = ResizedFrom,
        };
    }

    /// <summary>The samples at <paramref name="indices"/> (in that order), keeping the transforms; a memorisation estimate trains on such subsets.</summary>
    public Dataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        long per = (long)Channels * Height * Width;
        var pixels = new byte[indices.Count * per];
        var labels = new long[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            int i = indices[k];
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"the data set has {Count} samples");
            Array.Copy(_pixels, i * per, pixels, k * per, per);
            labels[k] = _labels[i];
        }
        return new Dataset(name ?? $"{Name}[{indices.Count} of {Count}]", Source, Format, pixels, labels, Channels, Height, Width, Classes, ClassNames)
        {
            Mean = Mean, Std = Std, Augment = Augment, AugmentPadding = AugmentPadding, AugmentFlip = AugmentFlip, Seed = Seed, ResizedFrom = ResizedFrom,
        };
    }

    private string? _fingerprint;

    /// <summary>
    /// SHA-256 of the samples, labels and sample shape (not the name or the transforms): two data sets with the same
    /// fingerprint hold the same examples in the same order, so per-example scores of one apply to the other.
    /// </summary>
    public string Fingerprint => _fingerprint ??= DatasetFingerprint.Of(Count, Channels, Height, Width, _labels, _pixels);

    /// <summary>The sample order of one epoch: a seeded shuffle (depends only on seed and epoch) or 0..n-1.</summary>
    public int[] Order(int epoch, bool shuffle)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (!shuffle) return order;
        var rng = new Random(unchecked(Seed * 7919 + epoch * 104729 + 17));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// Makes one batch (inputs N x C x H x W float32, labels N int64) from <paramref name="order"/>[start..start+count)
    /// in the caller's current dispose scope. <paramref name="augmentRandom"/> (training only) draws crops and flips
    /// when the data set augments; null gives the plain samples.
    /// </summary>
    public (Tensor Inputs, Tensor Labels) Batch(int[] order, int start, int count, Random? augmentRandom = null, Device? device = null)
    {
        count = Math.Min(count, order.Length - start);
        int c = Channels, h = Height, w = Width;
        int per = c * h * w;
        var buffer = new float[(long)count * per];
        var labels = new long[count];
        var scale = new float[c];
        var shift = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = Mean is null ? 0 : Mean[Mean.Count == 1 ? 0 : ch];
            double std = Std is null ? 1 : Std[Std.Count == 1 ? 0 : ch];
            scale[ch] = (float)(1.0 / (255.0 * std));
            shift[ch] = (float)(-mean / std);
        }
        bool augment = Augment && augmentRandom != null;
        int pad = AugmentPadding;
        for (int b = 0; b < count; b++)
        {
            int index = order[start + b];
            labels[b] = _labels[index];
            long src = (long)index * per;
            long dst = (long)b * per;
            int dy = 0, dx = 0;
            bool flip = false;
            if (augment)
            {
                dy = augmentRandom!.Next(-pad, pad + 1);
                dx = augmentRandom.Next(-pad, pad + 1);
                flip = AugmentFlip && augmentRandom.Next(2) == 1;
            }
            for (int ch = 0; ch < c; ch++)
            {
                float sc = scale[ch], sh = shift[ch];
                for (int y = 0; y < h; y++)
                {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++)
                    {
                        int sx = (flip ? w - 1 - x : x) + dx;
                        byte v = sy >= 0 && sy < h && sx >= 0 && sx < w ? _pixels[src + ((long)ch * h + sy) * w + sx] : (byte)0;
                        buffer[dst + ((long)ch * h + y) * w + x] = v * sc + sh;
                    }
                }
            }
        }
        var inputs = tensor(buffer, new long[] { count, c, h, w });
        var target = tensor(labels, new long[] { count });
        if (device != null && device.type != TorchSharp.DeviceType.CPU) { inputs = inputs.to(device); target = target.to(device); }
        return (inputs, target);
    }

    public override string ToString() =>
        $"{Name} [{Format}, {Count:N0} x {Shape}, {Classes} classes{(ResizedFrom != null ? $", resized from {ResizedFrom}" : "")}]";

    private static string F(double d) => d.ToString("0.####", CultureInfo.InvariantCulture);
}
