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
}

/// <summary>
/// Makes the extra inputs of one batch: the student learns the teacher's outputs on them through the loss's terms
/// that need no labels (distillation, teacher-label, logit terms), so it sees the teacher's decisions between and
/// around the training samples, where labels would have to be invented. Seeded: the same seed gives the same inputs.
/// </summary>
internal sealed class TeacherInputs : IDisposable
{
    private readonly TeacherInputKind _kind;
    private readonly Dataset _shifted;
    private readonly double _noise;
    private readonly Generator _generator;

    public TeacherInputs(TeacherInputKind kind, Dataset data, int seed, double noise = 0.5)
    {
        _kind = kind;
        _shifted = data.WithTransforms(data.Mean, data.Std, augment: true, flip: false, seed: seed);
        _noise = noise;
        _generator = new Generator((ulong)unchecked((uint)(seed * 7 + 11)));
    }

    public bool Any => _kind != TeacherInputKind.None;

    /// <summary>The extra inputs for the batch <paramref name="inputs"/> (made from order[start..start+count)), in the caller's dispose scope.</summary>
    public Tensor Make(Tensor inputs, int[] order, int start, int count, Random random) => _kind switch
    {
        TeacherInputKind.Mixup => Mix(inputs),
        TeacherInputKind.Shift => _shifted.Batch(order, start, count, random).Inputs,
        TeacherInputKind.Noise => inputs + randn(inputs.shape, generator: _generator) * _noise,
        _ => throw new InvalidOperationException("no teacher inputs to make"),
    };

    public void Dispose() => _generator.Dispose();

    private Tensor Mix(Tensor inputs)
    {
        long n = inputs.shape[0];
        var partner = inputs.index_select(0, randperm(n, generator: _generator));
        var share = rand(new long[] { n, 1, 1, 1 }, generator: _generator);
        return inputs * share + partner * (1 - share);
    }
}
