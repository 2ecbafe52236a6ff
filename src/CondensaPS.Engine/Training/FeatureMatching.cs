using System.Globalization;
using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Intermediate-feature matching (layer-wise reconstruction, as in FitNets and in the pruning literature): a pruned
/// student has its teacher's architecture, so each convolution and linear layer's output can be pulled towards the
/// teacher's on the same inputs. The term is the mean over the matched layers of the relative squared error
/// ||s_l - t_l||^2 / ||t_l||^2 over the batch, so every layer counts alike whatever its scale. Layers are matched
/// by name; a pair whose outputs differ in shape (a layer made narrower) is left out and logged once.
/// Built-in architectures only (<see cref="FeatureTaps"/>).
/// </summary>
internal sealed class FeatureMatching : IDisposable
{
    private readonly FeatureTaps _student;
    private readonly FeatureTaps _teacher;
    private readonly Action<string> _log;
    private readonly HashSet<string> _skipped = new(StringComparer.Ordinal);

    private FeatureMatching(FeatureTaps student, FeatureTaps teacher, Action<string> log)
    {
        _student = student;
        _teacher = teacher;
        _log = log;
    }

    /// <summary>The layers matched (by name), in the student's module order.</summary>
    public IReadOnlyList<string> Layers => _student.Layers;

    /// <summary>
    /// Taps on the layers student and teacher share, or an <see cref="EngineException"/> (FeatureMatchingNotSupported)
    /// that says why there are none.
    /// </summary>
    public static FeatureMatching Between(CompressionModel student, CompressionModel teacher, Action<string> log)
    {
        var mine = FeatureTaps.TappableLayers(student, out var why);
        var theirs = FeatureTaps.TappableLayers(teacher, out var whyTeacher);
        var shared = mine.Where(theirs.Contains).ToList();
        if (shared.Count == 0)
            throw new EngineException("FeatureMatchingNotSupported", EngineErrorKind.NotSupported,
                $"Feature matching cannot run: {why ?? whyTeacher ?? $"models '{student.Name}' and '{teacher.Name}' share no layer name"}", student.Name);
        return new FeatureMatching(FeatureTaps.On(student, shared), FeatureTaps.On(teacher, shared), log);
    }

    /// <summary>Records the next forward passes of both models (the teacher's and the student's on the same inputs).</summary>
    public void Start()
    {
        _student.Clear();
        _teacher.Clear();
        _student.Recording = _teacher.Recording = true;
    }

    /// <summary>Stops recording and returns the term over the recorded passes, in the caller's dispose scope.</summary>
    public Tensor Stop()
    {
        _student.Recording = _teacher.Recording = false;
        Tensor? total = null;
        int matched = 0;
        for (int i = 0; i < Layers.Count; i++)
        {
            var s = _student.Outputs[i];
            var t = _teacher.Outputs[i];
            if (s is null || t is null) continue;
            if (!s.shape.SequenceEqual(t.shape))
            {
                if (_skipped.Add(Layers[i]))
                    _log(string.Create(CultureInfo.InvariantCulture, $"Feature matching leaves out layer '{Layers[i]}': its output is [{string.Join(", ", s.shape)}] in the student and [{string.Join(", ", t.shape)}] in the reference."));
                continue;
            }
            var term = RelativeError(s, t);
            total = total is null ? term : total + term;
            matched++;
        }
        _student.Clear();
        _teacher.Clear();
        if (total is null)
            throw new EngineException("FeatureMatchingNotSupported", EngineErrorKind.NotSupported,
                "Feature matching found no layer whose output has the same shape in the student and the reference.");
        return total / matched;
    }

    /// <summary>||s - t||^2 / ||t||^2 (the teacher's output has no gradient), with a floor on the denominator for silent layers.</summary>
    public static Tensor RelativeError(Tensor student, Tensor teacher) =>
        (student - teacher).pow(2).sum() / teacher.pow(2).sum().clamp_min(1e-12);

    public void Dispose()
    {
        _student.Dispose();
        _teacher.Dispose();
    }
}
