using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// One term of a retraining loss over student logits z_s (N x K), teacher logits z_t (N x K, or null when the term
/// needs no teacher) and labels y (N). <see cref="Compute"/> is the batch mean; <see cref="PerSample"/> the N values
/// it averages, for sample-weighted reductions (<see cref="RetrainLoss"/>).
/// </summary>
public interface ILossTerm
{
    /// <summary>The kebab-case name used in settings ("distillation").</summary>
    string Name { get; }
    bool NeedsTeacher { get; }
    /// <summary>Whether the term reads the data set's labels (false: it can be computed on any input the teacher labels).</summary>
    bool NeedsLabels { get; }
    /// <summary>The term reduced to a scalar mean over the batch.</summary>
    Tensor Compute(Tensor student, Tensor? teacher, Tensor labels);
    /// <summary>The term per sample (N values; their mean is <see cref="Compute"/> up to rounding).</summary>
    Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels);
}
