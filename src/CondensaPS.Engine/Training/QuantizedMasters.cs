using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Keeps rounded (float16, bfloat16, int8) parameters on their grid through training. With master copies (the
/// default, straight-through): the forward pass uses the rounded values, each optimizer step's change is added to a
/// full-precision master, and the parameter becomes the master rounded again. Without them the updated parameter
/// itself is rounded, so a step smaller than half a grid step is lost when rounding to nearest and kept in
/// expectation when rounding stochastically (the remedy for low-precision updates). Clustered parameters are
/// <see cref="SharedWeightsConstraint"/>'s.
/// </summary>
internal sealed class QuantizedMasters : IStepConstraint
{
    private readonly CompressionModel _model;
    private readonly Rounding _rounding;
    private readonly Generator? _generator;
    private readonly List<(string Name, Tensor Param, Tensor? Master, Tensor Before)> _items = new();

    /// <param name="seed">Seeds the stochastic rounding's generator (unused when rounding to nearest).</param>
    public QuantizedMasters(CompressionModel model, Rounding rounding = Rounding.Nearest, bool masters = true, long seed = 0)
    {
        _model = model;
        _rounding = rounding;
        if (rounding == Rounding.Stochastic) _generator = new Generator((ulong)seed, model.TorchDevice);
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters())
            if (model.Quantization.TryGetValue(name, out var state) && state.Type != StorageType.Cluster)
                _items.Add((name, p, masters ? p.detach().clone() : null, p.detach().clone()));
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
            if (master is not null)
            {
                master.add_(param - before);
                param.copy_(master);
            }
            QuantizationReapplier.Reapply(_model, name, param, _rounding, _generator);
            before.copy_(param);
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, master, before) in _items) { master?.Dispose(); before.Dispose(); }
        _items.Clear();
        _generator?.Dispose();
    }
}
