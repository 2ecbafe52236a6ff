using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>Scores groups of weights (filters, rows, blocks) by a <see cref="PruneCriterion"/>.</summary>
internal static class ScoreCriterion
{
    /// <summary>
    /// Scores the last dimension of <paramref name="absolute"/> (absolute values, pruned entries zero);
    /// <paramref name="count"/> holds the number of real elements per group (blocks at an edge are smaller).
    /// </summary>
    public static Tensor Score(Tensor absolute, PruneCriterion criterion, Tensor count) => criterion switch
    {
        PruneCriterion.L1 => absolute.sum(-1),
        PruneCriterion.L2 => absolute.square().sum(-1).sqrt(),
        PruneCriterion.Max => absolute.amax(new long[] { -1 }),
        PruneCriterion.Mean => absolute.sum(-1) / count,
        PruneCriterion.ScaledL2 => absolute.square().sum(-1).sqrt() / count.sqrt(),
        _ => throw new ArgumentOutOfRangeException(nameof(criterion)),
    };
}
