using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Training through quantization. Rounded types (float16, bfloat16, int8) keep a full-precision master copy
/// (straight-through): the forward pass uses the rounded values, each optimizer step's change is added to the master,
/// and the parameter becomes the master rounded again; without masters, steps smaller than half a quantization level
/// would be rounded away. Clustered parameters keep their assignments: each centroid moves by the sum of its kept
/// members' changes, which for SGD (with or without momentum, both linear in the gradient) is the step of SGD on the
/// centroid with the gradients gathered per cluster, as Deep Compression fine-tunes its codebooks.
/// </summary>
internal sealed class QuantizedMasters : IStepConstraint
{
    private readonly CompressionModel _model;
    private readonly List<(string Name, Tensor Param, Tensor? Master, Tensor Before)> _items = new();

    public QuantizedMasters(CompressionModel model)
    {
        _model = model;
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters())
            if (model.Quantization.TryGetValue(name, out var state))
                _items.Add((name, p, state.Type == StorageType.Cluster ? null : p.detach().clone(), p.detach().clone()));
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
            if (master is null)
                ClusterQuantizer.AddMemberChanges(param, before, _model.Quantization[name], _model.Masks.GetValueOrDefault(name));
            else
            {
                master.add_(param - before);
                param.copy_(master);
                QuantizationReapplier.Reapply(_model, name, param);
            }
            before.copy_(param);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, master, before) in _items) { master?.Dispose(); before.Dispose(); }
        _items.Clear();
    }
}
