using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Training;

/// <summary>Pruned weights stay zero: the model's masks are applied again after every optimizer step.</summary>
internal sealed class MaskConstraint : IStepConstraint
{
    private readonly CompressionModel _model;

    public MaskConstraint(CompressionModel model) => _model = model;

    public void BeforeStep() { }
    public void AfterStep() => _model.ApplyMasks();
    public void Dispose() { }
}
