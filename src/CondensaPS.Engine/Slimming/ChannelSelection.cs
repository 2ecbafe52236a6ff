using CondensaPS.Engine.Pruning;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// Chooses the channels each eligible group keeps. Layer scope removes round(ratio x channels) of each group, the
/// lowest scores first (ties: the earlier channel goes first). Global scope ranks all eligible channels together by
/// their group's scores normalized to a mean of 1 (Torch-Pruning's mean normalizer), so groups whose channels matter
/// less lose more. Either way a group keeps at least one channel, loses no more than the per-layer cap allows, and
/// keeps a multiple of the alignment when one is asked for (never more than it has).
/// </summary>
internal static class ChannelSelection
{
    public static void Choose(IReadOnlyList<GroupDecision> groups, double ratio, PruneScope scope, double? maxLayerSparsity, int align)
    {
        var eligible = groups.Where(g => g.Eligible).ToList();
        var prune = new Dictionary<GroupDecision, long>();
        foreach (var g in eligible) prune[g] = 0;
        if (scope == PruneScope.Layer)
        {
            foreach (var g in eligible) prune[g] = PruneOptions.PruneCount(ratio, g.Channels);
        }
        else
        {
            long total = PruneOptions.PruneCount(ratio, eligible.Sum(g => g.Channels));
            var ranked = new List<(double Score, int Group, long Channel)>();
            for (int i = 0; i < eligible.Count; i++)
            {
                var scores = eligible[i].Scores!;
                double mean = scores.Average();
                for (long c = 0; c < scores.Length; c++) ranked.Add((mean > 0 ? scores[c] / mean : 0, i, c));
            }
            foreach (var (_, i, _) in ranked.OrderBy(r => r.Score).ThenBy(r => r.Group).ThenBy(r => r.Channel))
            {
                if (total == 0) break;
                var g = eligible[i];
                if (prune[g] >= Limit(g, maxLayerSparsity)) continue;
                prune[g]++;
                total--;
            }
        }
        foreach (var g in eligible)
        {
            long want = prune[g];
            long cap = maxLayerSparsity is double s ? (long)Math.Floor(s * g.Channels + 1e-9) : g.Channels;
            if (want > cap) { want = cap; g.Notes.Add($"capped at {Percent(maxLayerSparsity!.Value)} of its channels (max-layer-sparsity)"); }
            if (want >= g.Channels) { want = g.Channels - 1; g.Notes.Add("minimum one channel kept"); }
            long kept = g.Channels - want;
            if (align > 1 && kept % align != 0)
            {
                long aligned = Math.Min(g.Channels, (kept + align - 1) / align * align);
                if (aligned != kept) g.Notes.Add($"kept {aligned} instead of {kept} to be a multiple of {align}" + (aligned == g.Channels ? " (all of them)" : ""));
                kept = aligned;
            }
            g.Kept = KeepHighest(g.Scores!, kept);
        }
    }

    internal static string Percent(double fraction) => (fraction * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";

    /// <summary>The most a group may lose under the cap and the one-channel minimum (global scope).</summary>
    private static long Limit(GroupDecision g, double? maxLayerSparsity)
    {
        long limit = g.Channels - 1;
        if (maxLayerSparsity is double s) limit = Math.Min(limit, (long)Math.Floor(s * g.Channels + 1e-9));
        return limit;
    }

    /// <summary>The <paramref name="keep"/> highest-scoring channels, ascending; among equal scores the later ones stay.</summary>
    internal static long[] KeepHighest(double[] scores, long keep)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ThenBy(i => i).ToArray();
        return order.Skip(scores.Length - (int)keep).Select(i => (long)i).OrderBy(i => i).ToArray();
    }
}
