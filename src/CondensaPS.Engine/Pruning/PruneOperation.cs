using System.Globalization;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// The "prune" step: computes keep masks for the selected weights by the chosen method, combines them with any
/// existing masks (pruned weights stay pruned), stores them in the model's masks and multiplies the weights by
/// them. Results: realised sparsity per layer and over all selected weights, and any skipped layers.
/// </summary>
public sealed class PruneOperation : ICompressionOperation
{
    public string StepName => "prune";

    public IReadOnlyCollection<string> SettingKeys => PruneOptions.Keys;

    public void Validate(StepSettings settings) => PruneOptions.From(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var options = PruneOptions.From(settings);
        if (options.IsSlim) return Slimming.Slimmer.Slim(input, options, context);
        var output = options.IsInPlace ? input : input.Clone();
        try
        {
            if (!options.IsInPlace) output.Reference = input.Reference ?? input;
            var results = Prune(output, options, context);
            return new OperationResult(output, results);
        }
        catch
        {
            if (!options.IsInPlace) output.Dispose();
            throw;
        }
    }

    private static IReadOnlyDictionary<string, object?> Prune(CompressionModel model, PruneOptions options, OperationContext context)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var method = StepSettings.ToKebab(options.PruneMethod.ToString());
        var selector = options.Selector;
        var candidates = model.NamedParameters().Where(p => ParameterSelector.IsCompressibleWeight(p.Name, p.Tensor)).ToList();
        foreach (var pattern in selector.UnmatchedPatterns(candidates.Select(c => c.Name).ToList()))
            context.Warn($"Pattern '{pattern}' matches no convolution or linear weight of model '{model.Name}'.");
        var selected = selector.Filter(candidates).ToList();
        var skipped = new List<SkippedLayer>();
        if (options.PruneMethod == PruneMethod.Filter)
            selected = KeepRank(selected, 4, "filter pruning applies to convolution weights (rank 4)", context);
        else if (options.PruneMethod == PruneMethod.Neuron)
            selected = KeepRank(selected, 2, "neuron pruning applies to linear weights (rank 2)", context);
        else if (options.PruneMethod == PruneMethod.NM)
        {
            foreach (var (name, tensor) in selected.ToList())
                if (NMPruner.SkipReason(new PruneTarget(name, tensor, null), options.GroupM) is string reason)
                {
                    skipped.Add(new SkippedLayer(name, reason));
                    selected.RemoveAll(s => s.Name == name);
                }
        }
        foreach (var s in skipped) context.Warn($"Skipped '{s.Name}': {s.Reason}.");
        if (selected.Count == 0)
            throw new EngineException("NothingToPrune", EngineErrorKind.InvalidArgument,
                $"No weight of model '{model.Name}' can be pruned with method {method}" +
                (options.IncludePatterns.Count + options.ExcludePatterns.Count > 0 ? " after include/exclude" : "") + ".", model.Name);

        var targets = selected.Select(s => new PruneTarget(s.Name, s.Tensor, model.Masks.GetValueOrDefault(s.Name))).ToList();
        context.Log($"Pruning {targets.Count} weight(s) of '{model.Name}' by {method}" +
                    (options.PruneMethod == PruneMethod.NM ? $" {options.KeepN}:{options.GroupM}" : $" to ratio {options.PruneRatio.ToString(CultureInfo.InvariantCulture)}, scope {StepSettings.ToKebab(options.PruneScope.ToString())}") + ".");
        context.ThrowIfCancelled();

        IReadOnlyList<Tensor> keeps = options.PruneMethod switch
        {
            PruneMethod.Magnitude => MagnitudePruner.KeepMasks(targets, options.PruneRatio, options.PruneScope, options.LayerSparsityCap),
            PruneMethod.Filter or PruneMethod.Neuron => targets.Select(t => StructuredPruner.KeepMask(t, LayerRatio(options), options.PruneCriterion, options.AlignTo)).ToList(),
            PruneMethod.NM => targets.Select(t => NMPruner.KeepMask(t, options.KeepN, options.GroupM)).ToList(),
            PruneMethod.Block => targets.Select(t => BlockPruner.KeepMask(t, LayerRatio(options), options.PruneCriterion, options.BlockRows, options.BlockColumns)).ToList(),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };

        var layers = new List<LayerSparsity>();
        for (int i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            var mask = keeps[i].to(t.Weight.dtype);
            if (t.ExistingMask is not null) mask = mask.mul(t.ExistingMask);
            t.Weight.mul_(mask);
            mask = mask.contiguous();
            mask.DetachFromDisposeScope();
            var old = model.Masks.GetValueOrDefault(t.Name);
            model.Masks[t.Name] = mask;
            old?.Dispose();
            long zeros = t.Weight.numel() - t.Weight.count_nonzero().item<long>();
            var layer = new LayerSparsity(t.Name, string.Join("x", t.Weight.shape), t.Weight.numel(), zeros);
            layers.Add(layer);
            context.Log($"  {layer}");
        }
        long total = layers.Sum(l => l.Parameters), totalZeros = layers.Sum(l => l.Zeros);
        double sparsity = total == 0 ? 0 : (double)totalZeros / total;
        context.Log($"Selected weights: {totalZeros:N0} of {total:N0} zero ({sparsity:P2}).");
        if (options.LayerSparsityCap is double cap && options.PruneMethod == PruneMethod.Magnitude && options.PruneScope == PruneScope.Global
            && totalZeros < PruneOptions.PruneCount(options.PruneRatio, total))
            context.Warn($"The per-layer cap of {Slimming.ChannelSelection.Percent(cap)} leaves too few weights to reach ratio {options.PruneRatio.ToString(CultureInfo.InvariantCulture)}: {Slimming.ChannelSelection.Percent(sparsity)} of the selected weights are zero.");
        var emptied = layers.Where(l => l.Sparsity >= EmptyLayerSparsity).ToList();
        if (emptied.Count > 0)
            context.Warn($"Pruning leaves {emptied.Count} layer(s) with {Slimming.ChannelSelection.Percent(EmptyLayerSparsity)} or more of their weights removed, which can make the model's output the same for every input: " +
                string.Join(", ", emptied.Select(l => $"{l.Name} ({Slimming.ChannelSelection.Percent(l.Sparsity)})")) + ". Cap each layer's share with -MaxLayerSparsity (max-layer-sparsity in a strategy).");
        var results = new OrderedSettings();
        results.Add("sparsity", sparsity);
        results.Add("zeros", totalZeros);
        results.Add("selected", total);
        results.Add("layers", layers);
        results.Add("skipped", skipped);
        results.Add("emptied", emptied.Select(l => l.Name).ToList());
        return results;
    }

    /// <summary>Sparsity at or above which a pruned layer counts as emptied (and a warning names it).</summary>
    public const double EmptyLayerSparsity = 0.99;

    private static double LayerRatio(PruneOptions options) => options.LayerSparsityCap is double cap ? Math.Min(options.PruneRatio, cap) : options.PruneRatio;

    private static List<(string Name, Tensor Tensor)> KeepRank(List<(string Name, Tensor Tensor)> selected, int rank, string reason, OperationContext context)
    {
        foreach (var s in selected.Where(s => s.Tensor.dim() != rank)) context.Log($"Leaving '{s.Name}' alone: {reason}.");
        return selected.Where(s => s.Tensor.dim() == rank).ToList();
    }
}
