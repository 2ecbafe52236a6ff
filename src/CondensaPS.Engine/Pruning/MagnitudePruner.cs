using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Unstructured pruning by absolute value. Global scope prunes round(ratio * N) of all N selected weights with one
/// threshold (Condensa's default); layer scope prunes round(ratio * n) of each layer's n weights. With a per-layer cap
/// c, no layer loses more than floor(c * n): in global scope the layers the threshold would take past the cap are held
/// at it and the rest of the count is found among the others (one threshold over them), repeated until no layer is
/// past its cap; if the cap leaves too few weights to reach the ratio, every layer stops at its cap.
/// </summary>
internal static class MagnitudePruner
{
    public static IReadOnlyList<Tensor> KeepMasks(IReadOnlyList<PruneTarget> targets, double ratio, PruneScope scope, double? cap = null)
    {
        if (scope == PruneScope.Global)
        {
            long total = targets.Sum(t => t.Weight.numel());
            long count = PruneOptions.PruneCount(ratio, total);
            if (cap is null) return LowestSelection.KeepMasks(targets.Select(t => t.MagnitudeScores()).ToList(), count);
            return CappedGlobal(targets, count, cap.Value);
        }
        double layerRatio = cap is double c ? Math.Min(ratio, c) : ratio;
        return targets.Select(t => LayerMask(t, Math.Min(PruneOptions.PruneCount(layerRatio, t.Weight.numel()), Limit(t, cap)))).ToList();
    }

    private static long Limit(PruneTarget t, double? cap) => cap is double c ? (long)Math.Floor(c * t.Weight.numel() + 1e-9) : t.Weight.numel();

    private static Tensor LayerMask(PruneTarget t, long count) => LowestSelection.KeepMasks(new[] { t.MagnitudeScores() }, count)[0];

    private static IReadOnlyList<Tensor> CappedGlobal(IReadOnlyList<PruneTarget> targets, long count, double cap)
    {
        var held = new HashSet<int>();
        while (true)
        {
            var free = Enumerable.Range(0, targets.Count).Where(i => !held.Contains(i)).ToList();
            long budget = Math.Max(0, count - held.Sum(i => Limit(targets[i], cap)));
            var result = new Tensor[targets.Count];
            foreach (var i in held) result[i] = LayerMask(targets[i], Limit(targets[i], cap));
            if (budget >= free.Sum(i => Limit(targets[i], cap)))
            {
                // The cap leaves no more than the count: every layer stops at its cap.
                foreach (var i in free) result[i] = LayerMask(targets[i], Limit(targets[i], cap));
                return result;
            }
            var masks = LowestSelection.KeepMasks(free.Select(i => targets[i].MagnitudeScores()).ToList(), budget);
            var over = free.Where((i, k) => targets[i].Weight.numel() - masks[k].count_nonzero().item<long>() > Limit(targets[i], cap)).ToList();
            if (over.Count == 0)
            {
                for (int k = 0; k < free.Count; k++) result[free[k]] = masks[k];
                return result;
            }
            foreach (var i in over) held.Add(i);
        }
    }
}
