using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Filter pruning (whole Conv2d output filters) and neuron pruning (whole Linear output rows): in each layer the
/// round(ratio * F) output channels with the lowest criterion score are zeroed (ties by index). With align A the
/// survivors are rounded up to a multiple of A (at most F), so hardware-friendly channel counts remain.
/// </summary>
internal static class StructuredPruner
{
    public static long Survivors(long channels, double ratio, int align)
    {
        long survivors = channels - PruneOptions.PruneCount(ratio, channels);
        if (align > 1) survivors = Math.Min(channels, (survivors + align - 1) / align * align);
        return survivors;
    }

    public static Tensor KeepMask(PruneTarget target, double ratio, PruneCriterion criterion, int align)
    {
        var rows = target.AsMatrix(target.Absolute());
        long channels = rows.shape[0];
        var count = full(new long[] { channels }, rows.shape[1], dtype: rows.dtype, device: rows.device);
        var score = ScoreCriterion.Score(rows, criterion, count).reshape(1, channels);
        long prune = channels - Survivors(channels, ratio, align);
        var keepRows = LowestSelection.KeepLowestPerRow(score, prune).reshape(channels, 1);
        return keepRows.expand(rows.shape).reshape(target.Weight.shape);
    }
}
