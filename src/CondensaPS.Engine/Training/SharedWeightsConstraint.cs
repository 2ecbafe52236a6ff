using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Keeps clustered (weight-shared) parameters tied through fine-tuning, as Deep Compression fine-tunes its codebooks:
/// assignments and masks hold, and after each optimizer step each centroid moves by the sum of its kept members'
/// changes, then every member takes it again. For SGD, with or without momentum (both linear in the gradient), that
/// is the step of SGD on the centroid with the gradients gathered per cluster.
/// </summary>
internal sealed class SharedWeightsConstraint : IStepConstraint
{
    private readonly CompressionModel _model;
    private readonly List<(string Name, Tensor Param, Tensor Before)> _items = new();

    public SharedWeightsConstraint(CompressionModel model)
    {
        _model = model;
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters())
            if (model.Quantization.TryGetValue(name, out var state) && state.Type == StorageType.Cluster)
                _items.Add((name, p, p.detach().clone()));
    }

    public void BeforeStep() { }

    public void AfterStep()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, param, before) in _items)
        {
            ClusterQuantizer.AddMemberChanges(param, before, _model.Quantization[name], _model.Masks.GetValueOrDefault(name));
            before.copy_(param);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, before) in _items) before.Dispose();
        _items.Clear();
    }
}
