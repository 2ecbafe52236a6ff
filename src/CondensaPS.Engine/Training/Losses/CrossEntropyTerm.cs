using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>Cross-entropy with the data set's labels: mean over the batch of -log softmax(z_s)[y].</summary>
public sealed class CrossEntropyTerm : ILossTerm
{
    public string Name => "cross-entropy";
    public bool NeedsTeacher => false;
    public bool NeedsLabels => true;
    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) => nn.functional.cross_entropy(student, labels);
    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels) => nn.functional.cross_entropy(student, labels, reduction: nn.Reduction.None);
}
