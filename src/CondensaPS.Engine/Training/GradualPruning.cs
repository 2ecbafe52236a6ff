using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using CondensaPS.Engine.Pruning;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Gradual magnitude pruning inside a retrain (Zhu and Gupta 2017, "To prune, or not to prune"): training starts
/// from the dense weights with every mask open, and at n prune points spread evenly over the first ramp epochs the
/// masks are set to the weights' magnitudes with 1 - (1 - k/n)^3 of the final zeros pruned at point k (k = 1..n;
/// fast at first, slowly at the end). The final zeros are the compressed model's: one global threshold over all
/// masked parameters when the model was pruned by global magnitude, each layer to its own count otherwise, as L-C's
/// C-step compresses. After the last point the masks stay fixed and training recovers for the remaining epochs.
/// Masks only ever close: a pruned weight is zero, so it is among the smallest at the next point (Fisher scores put
/// it below every other).
/// With <see cref="GradualScore.Fisher"/> the score is w^2 F, F a running mean of the squared gradient over the
/// batches (<see cref="ObserveGradients"/>; Optimal Brain Damage's estimate of the loss's rise when w goes to zero,
/// with the empirical Fisher information for the Hessian's diagonal). With <see cref="GradualScore.Obs"/> it is
/// Optimal Brain Surgeon's, from a block-diagonal Fisher of the latest gradients, and the kept weights of each block
/// move to make up for the pruned ones (<see cref="BlockFisher"/>).
/// </summary>
internal sealed class GradualPruning : IDisposable
{
    /// <summary>How much of the running mean of squared gradients each batch keeps (about the last 100 batches count).</summary>
    public const double FisherDecay = 0.99;

    private readonly List<Item> _items = new();
    private readonly List<Tensor> _fisher = new();
    private readonly BlockFisher? _blocks;
    private int _done;

    private sealed record Item(Tensor Weight, Tensor Mask, long Zeros);

    /// <summary>Opens every mask of <paramref name="model"/> (remembering each one's count of zeros as the target).</summary>
    public GradualPruning(CompressionModel model, double rampEpochs, int steps, GradualScore score = GradualScore.Magnitude)
    {
        if (!(rampEpochs > 0)) throw new ArgumentOutOfRangeException(nameof(rampEpochs));
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps));
        RampEpochs = rampEpochs;
        Steps = steps;
        Score = score;
        // A per-layer cap (max-layer-sparsity) is kept by giving each layer its own count, which the prune step met.
        GlobalThreshold = LcState.PrunedGlobally(model) && LastPrune(model)?.Settings.ContainsKey(PruneOptions.MaxLayerSparsity) != true;
        using var _ = no_grad();
        foreach (var (name, w) in model.NamedParameters())
        {
            if (!model.Masks.TryGetValue(name, out var mask)) continue;
            long zeros = mask.numel() - mask.count_nonzero().item<long>();
            mask.fill_(1);
            _items.Add(new Item(w, mask, zeros));
            if (score == GradualScore.Fisher) _fisher.Add(zeros_like(w).DetachFromDisposeScope());
        }
        if (score == GradualScore.Obs) _blocks = new BlockFisher(_items.Select(i => i.Weight).ToList());
    }

    /// <summary>Which weights each prune point removes.</summary>
    public GradualScore Score { get; }

    /// <summary>
    /// After a backward pass, before the optimizer step (until the last prune point): with the Fisher score,
    /// F = decay F + (1 - decay) g^2 for every masked weight; with OBS, the gradients are kept; nothing otherwise.
    /// </summary>
    public void ObserveGradients()
    {
        if (Finished) return;
        _blocks?.Observe();
        if (Score != GradualScore.Fisher) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < _items.Count; i++)
        {
            var g = _items[i].Weight.grad;
            if (g is null) continue;
            _fisher[i].copy_(_fisher[i].Times(FisherDecay) + (g * g).Times(1 - FisherDecay));
        }
    }

    public void Dispose()
    {
        foreach (var f in _fisher) f.Dispose();
        _fisher.Clear();
        _blocks?.Dispose();
    }

    /// <summary>
    /// Why <paramref name="model"/> cannot be pruned again gradually from <paramref name="reference"/> in
    /// <paramref name="epochs"/> epochs (a clause to follow "because"), or null when it can: it needs masks made by
    /// magnitude pruning, no quantization, a reference with its parameter names and shapes, and two epochs or more.
    /// </summary>
    public static string? WhyNot(CompressionModel model, CompressionModel? reference, int epochs)
    {
        if (model.Masks.Count == 0) return $"model '{model.Name}' has no masks";
        if (model.Quantization.Count > 0) return $"model '{model.Name}' is quantized";
        if (WhyNotMasks(model) is { } masks) return masks;
        if (reference is null) return $"model '{model.Name}' has no reference to start from";
        if (!SameParameters(model, reference)) return $"reference '{reference.Name}' does not have model '{model.Name}''s parameter names and shapes";
        if (RetrainedAfterAPrune(model, reference))
            return $"model '{model.Name}' was retrained after an earlier prune step (starting again from the dense reference would throw that training away)";
        if (epochs < 2) return "the budget is one epoch (gradual pruning needs its ramp and then recovery)";
        return null;
    }

    /// <summary>Why the model's masks cannot be remade by weight magnitude (a clause), or null when its last prune step was magnitude pruning.</summary>
    public static string? WhyNotMasks(CompressionModel model)
    {
        var prune = LastPrune(model);
        if (prune is null) return $"model '{model.Name}''s history has no prune step that made its masks";
        string method = prune.Settings.TryGetValue(PruneOptions.Method, out var m) && m != null ? m.ToString()! : "magnitude";
        return string.Equals(method, "magnitude", StringComparison.OrdinalIgnoreCase) ? null : $"its masks were made by {method} pruning";
    }

    /// <summary>
    /// Whether a retrain step lies between the reference and the model's last prune step: a staged pipeline (prune,
    /// retrain, prune harder, retrain) whose later stages should go on from the retrained weights. The steps the
    /// model shares with the reference (its own training, say) do not count; when the reference is not the model's
    /// ancestor, every step does.
    /// </summary>
    public static bool RetrainedAfterAPrune(CompressionModel model, CompressionModel reference)
    {
        var history = model.History;
        var shared = reference.History;
        int start = shared.Count <= history.Count && shared.Select(h => h.Operation).SequenceEqual(history.Take(shared.Count).Select(h => h.Operation))
            ? shared.Count : 0;
        int lastPrune = -1;
        for (int i = history.Count - 1; i >= start; i--)
            if (history[i].Operation == "prune") { lastPrune = i; break; }
        bool pruned = false;
        for (int i = start; i < lastPrune; i++)
        {
            if (history[i].Operation == "prune") pruned = true;
            else if (pruned && history[i].Operation == "retrain") return true;
        }
        return false;
    }

    /// <summary>Whether every parameter and buffer of <paramref name="model"/> has a namesake of the same shape and type in <paramref name="reference"/>.</summary>
    public static bool SameParameters(CompressionModel model, CompressionModel reference)
    {
        var from = reference.NamedParameters().Concat(reference.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor);
        return model.NamedParameters().Concat(model.NamedBuffers())
            .All(p => from.TryGetValue(p.Name, out var t) && t.shape.SequenceEqual(p.Tensor.shape) && t.dtype == p.Tensor.dtype);
    }

    private static HistoryStep? LastPrune(CompressionModel model) => model.History.LastOrDefault(h => h.Operation == "prune");

    public double RampEpochs { get; }
    public int Steps { get; }
    /// <summary>Whether the pruning selects over all masked parameters at once (the model was pruned by global magnitude).</summary>
    public bool GlobalThreshold { get; }
    /// <summary>The prune points passed so far.</summary>
    public int Done => _done;
    /// <summary>Whether the masks have reached the final zeros (and stay as they are).</summary>
    public bool Finished => _done >= Steps;

    /// <summary>The share of the final zeros pruned at point <paramref name="k"/> of <paramref name="steps"/>: 1 - (1 - k/n)^3.</summary>
    public static double Fraction(int k, int steps) => 1 - Math.Pow(1 - (double)Math.Clamp(k, 0, steps) / steps, 3);

    /// <summary>The training progress, in epochs, at which point <paramref name="k"/> (1..n) prunes: k/n of the ramp.</summary>
    public double PointAt(int k) => RampEpochs * k / Steps;

    /// <summary>
    /// Before batch <paramref name="batch"/> (0-based) of <paramref name="batches"/> in epoch <paramref name="epoch"/>
    /// (1-based): prunes to the last point the progress has reached, if it is a new one. Returns whether it pruned.
    /// </summary>
    public bool Advance(int epoch, int batch, int batches)
    {
        double progress = epoch - 1 + (double)batch / batches;
        int reached = _done;
        while (reached < Steps && PointAt(reached + 1) <= progress + 1e-9) reached++;
        if (reached == _done) return false;
        _done = reached;
        PruneTo(Fraction(reached, Steps));
        return true;
    }

    /// <summary>Sets the masks to the weights' scores with <paramref name="fraction"/> of each target's zeros, and zeroes the pruned weights.</summary>
    public void PruneTo(double fraction)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        // Fisher and OBS scores put the weights already pruned below every other (-1), so that masks only ever close.
        var blocks = _blocks is null ? null : _items.Select((_, i) => _blocks.Blocks(i)).ToList();
        var scores = _items.Select((item, i) => Score switch
        {
            GradualScore.Fisher => (item.Weight * item.Weight * _fisher[i]).masked_fill(item.Mask.eq(0), -1),
            GradualScore.Obs => BlockFisher.Scores(item.Weight, blocks![i]).masked_fill(item.Mask.eq(0), -1),
            _ => item.Weight.abs(),
        }).ToList();
        IReadOnlyList<Tensor> keeps;
        if (GlobalThreshold) keeps = LowestSelection.KeepMasks(scores, (long)Math.Round(fraction * _items.Sum(i => i.Zeros)));
        else keeps = _items.Select((item, i) => LowestSelection.KeepMasks(new[] { scores[i] }, (long)Math.Round(fraction * item.Zeros))[0]).ToList();
        for (int i = 0; i < _items.Count; i++)
        {
            if (blocks != null) BlockFisher.Compensate(_items[i].Weight, keeps[i], blocks[i]);
            _items[i].Mask.copy_(keeps[i]);
            _items[i].Weight.mul_(_items[i].Mask);
        }
    }
}
