using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// N:M semi-structured sparsity: per output channel, the input dimension (input channels x kernel, flattened in
/// PyTorch's memory order) is cut into groups of M consecutive weights, and in each group the N largest by absolute
/// value are kept (ties: the earlier weight is kept). A layer whose input dimension is not a multiple of M is skipped.
/// </summary>
internal static class NMPruner
{
    public static string? SkipReason(PruneTarget target, int m)
    {
        long columns = target.Weight.numel() / target.Weight.shape[0];
        return columns % m == 0 ? null : $"its input dimension ({columns}) is not a multiple of m ({m})";
    }

    public static Tensor KeepMask(PruneTarget target, int n, int m)
    {
        long rows = target.Weight.shape[0];
        var groups = target.MagnitudeScores().reshape(rows, -1, m).reshape(-1, m);
        return LowestSelection.KeepLowestPerRow(groups, m - n).reshape(target.Weight.shape);
    }
}
