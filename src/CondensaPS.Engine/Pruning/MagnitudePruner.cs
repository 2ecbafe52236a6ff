using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Unstructured pruning by absolute value. Global scope prunes round(ratio * N) of all N selected weights with one
/// threshold (Condensa's default); layer scope prunes round(ratio * n) of each layer's n weights.
/// </summary>
internal static class MagnitudePruner
{
    public static IReadOnlyList<Tensor> KeepMasks(IReadOnlyList<PruneTarget> targets, double ratio, PruneScope scope)
    {
        if (scope == PruneScope.Global)
        {
            long total = targets.Sum(t => t.Weight.numel());
            return LowestSelection.KeepMasks(targets.Select(t => t.MagnitudeScores()).ToList(), PruneOptions.PruneCount(ratio, total));
        }
        return targets.Select(t =>
            LowestSelection.KeepMasks(new[] { t.MagnitudeScores() }, PruneOptions.PruneCount(ratio, t.Weight.numel()))[0]).ToList();
    }
}
