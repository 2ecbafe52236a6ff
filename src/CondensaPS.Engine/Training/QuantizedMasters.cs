using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Full-precision master copies of a model's quantized parameters, for training through quantization
/// (straight-through): the forward pass uses the rounded values, each optimizer step's change is added to the master,
/// and the parameter becomes the master rounded again. Without masters, steps smaller than half a quantization
/// level would be rounded away. Clustered parameters are <see cref="SharedWeightsConstraint"/>'s.
/// </summary>
internal sealed class QuantizedMasters : IStepConstraint
{
    private readonly CompressionModel _model;
    private readonly List<(string Name, Tensor Param, Tensor Master, Tensor Before)> _items = new();

    public QuantizedMasters(CompressionModel model)
    {
        _model = model;
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters())
            if (model.Quantization.TryGetValue(name, out var state) && state.Type != StorageType.Cluster)
                _items.Add((name, p, p.detach().clone(), p.detach().clone()));
    }

    public bool Any => _items.Count > 0;

    public void BeforeStep() { }

    /// <summary>Call after each optimizer step (after masks are re-applied).</summary>
    public void AfterStep()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, param, master, before) in _items)
        {
            master.add_(param - before);
            param.copy_(master);
            QuantizationReapplier.Reapply(_model, name, param);
            before.copy_(param);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, master, before) in _items) { master.Dispose(); before.Dispose(); }
        _items.Clear();
    }
}
