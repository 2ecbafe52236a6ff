using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Chooses exactly k of a set of scores to prune: the k smallest, ties broken by position (the earlier element is
/// pruned first, in the order the tensors are given), so the realised count is exact and the result deterministic.
/// Runs in torch ops, layer by layer (a concatenation of tens of millions of values costs more than the selection):
/// a strided sample brackets the k-th value, only the values inside the bracket are gathered and selected from,
/// and only the elements equal to the threshold are resolved by index.
/// </summary>
internal static class LowestSelection
{
    private const long SampleTarget = 1 << 18;

    /// <summary>Keep masks (bool, shaped like each input), pruning the k lowest scores over all of them together.</summary>
    public static IReadOnlyList<Tensor> KeepMasks(IReadOnlyList<Tensor> scores, long k)
    {
        var flat = scores.Select(s => s.reshape(-1)).ToList();
        long n = flat.Sum(f => f.shape[0]);
        if (k <= 0) return scores.Select(s => ones(s.shape, dtype: ScalarType.Bool, device: s.device)).ToList();
        if (k >= n) return scores.Select(s => zeros(s.shape, dtype: ScalarType.Bool, device: s.device)).ToList();
        var threshold = KthValue(flat, k, n);
        long need = k - flat.Sum(f => f.lt(threshold).count_nonzero().item<long>());
        var masks = new List<Tensor>(flat.Count);
        for (int i = 0; i < flat.Count; i++)
        {
            var keep = flat[i].gt(threshold);
            var tiedMask = flat[i].eq(threshold);
            long tied = tiedMask.count_nonzero().item<long>();
            long pruneHere = Math.Min(need, tied);
            need -= pruneHere;
            if (pruneHere < tied)
            {
                // The earlier tied elements are pruned; the later ones are kept.
                var tiedIndex = tiedMask.nonzero().reshape(-1);
                keep.index_fill_(0, tiedIndex.narrow(0, pruneHere, tied - pruneHere), true);
            }
            masks.Add(keep.reshape(scores[i].shape));
        }
        return masks;
    }

    /// <summary>The k-th smallest value (1-based) over the concatenation of 1-D tensors, as a 0-D tensor.</summary>
    public static Tensor KthValue(IReadOnlyList<Tensor> parts, long k, long n)
    {
        if (n <= 4 * SampleTarget) return Cat(parts).kthvalue(k, 0).values;
        long stride = n / SampleTarget;
        var sample = Cat(parts.Select(p => p.slice(0, 0, p.shape[0], stride)).ToList()).sort().Values;
        long m = sample.shape[0];
        double q = (double)k / n;
        // The sampling error of a quantile is about sqrt(q(1-q)m) ranks: bracket by a generous multiple of it.
        long margin = (long)Math.Ceiling(8 * Math.Sqrt(q * (1 - q) * m)) + 64;
        long rank = (long)(q * m);
        var lo = sample[Math.Max(0, rank - margin)];
        var hi = sample[Math.Min(m - 1, rank + margin)];
        long below = parts.Sum(p => p.lt(lo).count_nonzero().item<long>());
        if (below < k)
        {
            long atOrBelowLo = parts.Sum(p => p.le(lo).count_nonzero().item<long>());
            if (atOrBelowLo >= k) return lo;
            var band = Cat(parts.Select(p => p.index_select(0, p.gt(lo).logical_and_(p.le(hi)).nonzero().reshape(-1))).ToList());
            if (atOrBelowLo + band.shape[0] >= k) return band.kthvalue(k - atOrBelowLo, 0).values;
        }
        return Cat(parts).kthvalue(k, 0).values;
    }

    /// <summary>Keep mask over the last dimension of <paramref name="scores"/> ([rows, count]): in each row, the
    /// <paramref name="prune"/> lowest are pruned, ties by index.</summary>
    public static Tensor KeepLowestPerRow(Tensor scores, long prune)
    {
        long count = scores.shape[^1];
        var keep = ones_like(scores, dtype: ScalarType.Bool);
        if (prune <= 0) return keep;
        var order = scores.sort(-1, descending: false, stable: true).Indices;
        var pruned = order.narrow(-1, 0, Math.Min(prune, count));
        return keep.scatter(-1, pruned, zeros_like(pruned, dtype: ScalarType.Bool));
    }

    private static Tensor Cat(IReadOnlyList<Tensor> parts) => parts.Count == 1 ? parts[0] : cat(parts.ToArray(), 0);
}
