using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training.Losses;

/// <summary>Mean squared error between student and teacher logits, averaged over all N x K entries.</summary>
public sealed class LogitMseTerm : ILossTerm
{
    public string Name => "logit-mse";
    public bool NeedsTeacher => true;
    public bool NeedsLabels => false;

    public Tensor Compute(Tensor student, Tensor? teacher, Tensor labels) =>
        nn.functional.mse_loss(student, teacher ?? throw new ArgumentNullException(nameof(teacher)));

    public Tensor PerSample(Tensor student, Tensor? teacher, Tensor labels) =>
        (student - (teacher ?? throw new ArgumentNullException(nameof(teacher)))).Power(2).mean(new long[] { 1 });
}
