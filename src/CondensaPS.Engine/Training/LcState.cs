using CondensaPS.Engine.Models;
using CondensaPS.Engine.Pruning;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Condensa's L-C (augmented Lagrangian) state over the constrained parameters (those with a mask or a recorded
/// quantization): theta (the compressed copy, starting as the compressed model's weights), lambda (multipliers,
/// starting at zero) and mu. The L-step adds mu/2 ||w - theta||^2 - lambda.(w - theta) to the loss; the C-step sets
/// theta = compress(w - lambda/mu), then lambda -= mu (w - theta) and mu = min(mu * growth, cap) (Condensa leaves
/// mu alone once it exceeds the cap). compress is the compression the model went through: magnitude pruning to the
/// same number of zeros, over all masked parameters at once with one threshold when the model was pruned globally
/// (Condensa's Prune scheme), else layer by layer; quantized parameters are rounded as their quantization does.
/// </summary>
internal sealed class LcState : IDisposable
{
    private readonly CompressionModel _model;
    private readonly List<Item> _items = new();

    private sealed record Item(string Name, Tensor W, Tensor Theta, Tensor Lambda, long Zeros, Tensor Mask, bool Masked);

    public LcState(CompressionModel model, double mu, double growth, double cap = double.PositiveInfinity)
    {
        _model = model;
        Mu = mu;
        Growth = growth;
        Cap = cap;
        GlobalThreshold = PrunedGlobally(model);
        using var _ = no_grad();
        foreach (var (name, w) in model.NamedParameters())
        {
            bool masked = model.Masks.TryGetValue(name, out var mask);
            if (!masked && !model.Quantization.ContainsKey(name)) continue;
            long zeros = masked ? mask!.numel() - mask.count_nonzero().item<long>() : 0;
            _items.Add(new Item(name, w, w.detach().clone(), zeros_like(w), zeros, masked ? mask!.detach().clone() : ones_like(w), masked));
        }
    }

    public double Mu { get; private set; }
    public double Growth { get; }
    public double Cap { get; }
    /// <summary>Whether the C-step prunes with one threshold over all masked parameters (the model was pruned by global magnitude).</summary>
    public bool GlobalThreshold { get; }

    /// <summary>The penalty mu/2 ||w - theta||^2 - lambda.(w - theta), in the caller's dispose scope.</summary>
    public Tensor Penalty()
    {
        Tensor? total = null;
        foreach (var item in _items)
        {
            var d = item.W - item.Theta;
            var term = d.pow(2).sum() * (Mu / 2) - (item.Lambda * d).sum();
            total = total is null ? term : total + term;
        }
        return total ?? tensor(0f);
    }

    /// <summary>The C-step, the multiplier update and the mu schedule.</summary>
    public void CStep()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var shifted = _items.Select(item => Mu > 0 ? item.W - item.Lambda / Mu : item.W.clone()).ToList();
        var keeps = KeepMasks(shifted);
        for (int i = 0; i < _items.Count; i++)
        {
            var item = _items[i];
            var keep = keeps[i].to(shifted[i].dtype);
            var v = shifted[i] * keep;
            item.Mask.copy_(keep);
            item.Theta.copy_(v);
            if (_model.Quantization.ContainsKey(item.Name))
            {
                // Round theta as the model's quantization does (fresh int8 scales), keeping the new mask.
                var old = _model.Masks.GetValueOrDefault(item.Name);
                _model.Masks[item.Name] = item.Mask;
                QuantizationReapplier.Reapply(_model, item.Name, item.Theta);
                if (old is null) _model.Masks.Remove(item.Name); else _model.Masks[item.Name] = old;
            }
            item.Lambda.sub_((item.W - item.Theta) * Mu);
        }
        if (Mu <= Cap) Mu = Math.Min(Mu * Growth, Cap);
    }

    /// <summary>Copies of the parameters w (to restore after evaluating theta).</summary>
    public List<Tensor> SaveW()
    {
        using var _ = no_grad();
        return _items.Select(i => i.W.detach().clone()).ToList();
    }

    public void RestoreW(List<Tensor> saved)
    {
        using var _ = no_grad();
        for (int i = 0; i < _items.Count; i++) { _items[i].W.copy_(saved[i]); saved[i].Dispose(); }
    }

    /// <summary>Puts theta into the model's parameters and the re-derived masks into its masks (the model is then inside the constraint).</summary>
    public void LoadTheta()
    {
        using var _ = no_grad();
        foreach (var item in _items)
        {
            item.W.copy_(item.Theta);
            if (_model.Masks.TryGetValue(item.Name, out var mask)) mask.copy_(item.Mask);
        }
    }

    public void Dispose()
    {
        foreach (var i in _items) { i.Theta.Dispose(); i.Lambda.Dispose(); i.Mask.Dispose(); }
        _items.Clear();
    }

    /// <summary>Keep masks for the shifted weights: one global selection over the masked ones, or each layer to its own count.</summary>
    private IReadOnlyList<Tensor> KeepMasks(IReadOnlyList<Tensor> shifted)
    {
        var keeps = new Tensor[_items.Count];
        var masked = Enumerable.Range(0, _items.Count).Where(i => _items[i].Masked).ToList();
        if (GlobalThreshold && masked.Count > 0)
        {
            var global = LowestSelection.KeepMasks(masked.Select(i => shifted[i].abs()).ToList(), masked.Sum(i => _items[i].Zeros));
            for (int j = 0; j < masked.Count; j++) keeps[masked[j]] = global[j];
        }
        for (int i = 0; i < _items.Count; i++)
            keeps[i] ??= LowestSelection.KeepMasks(new[] { shifted[i].abs() }, _items[i].Zeros)[0];
        return keeps;
    }

    /// <summary>Whether the model's masks come from one global magnitude prune (its last prune step, magnitude method, global scope).</summary>
    internal static bool PrunedGlobally(CompressionModel model)
    {
        var prune = model.History.LastOrDefault(h => h.Operation == "prune");
        if (prune is null) return false;
        string method = prune.Settings.TryGetValue(PruneOptions.Method, out var m) && m != null ? m.ToString()! : "magnitude";
        string scope = prune.Settings.TryGetValue(PruneOptions.Scope, out var s) && s != null ? s.ToString()! : "global";
        return string.Equals(method, "magnitude", StringComparison.OrdinalIgnoreCase) && string.Equals(scope, "global", StringComparison.OrdinalIgnoreCase);
    }
}
