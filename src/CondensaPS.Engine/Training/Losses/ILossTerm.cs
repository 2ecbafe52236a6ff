using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// One term of a retraining loss over student logits z_s (N x K), teacher logits z_t (N x K, or null when the term
/// needs no teacher) and labels y (N), reduced to a scalar mean over the batch.
/// </summary>
public interface ILossTerm
{
    /// <summary>The kebab-case name used in settings ("distillation").</summary>
    string Name { get; }
    bool NeedsTeacher { get; }
    Tensor Compute(Tensor student, Tensor? teacher, Tensor labels);
}
