using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Block pruning: the weight as a matrix (output channels x flattened input) is tiled into rows x columns blocks
/// (edge blocks may be smaller), blocks are scored by the criterion, and round(ratio * blocks) of the lowest are
/// zeroed (ties by block index, row-major).
/// </summary>
internal static class BlockPruner
{
    public static Tensor KeepMask(PruneTarget target, double ratio, PruneCriterion criterion, int blockRows, int blockColumns)
    {
        var matrix = target.AsMatrix(target.Absolute());
        long r = matrix.shape[0], c = matrix.shape[1];
        long rb = (r + blockRows - 1) / blockRows, cb = (c + blockColumns - 1) / blockColumns;
        var pad = new long[] { 0, cb * blockColumns - c, 0, rb * blockRows - r };
        Tensor Blocks(Tensor t) => nn.functional.pad(t, pad).reshape(rb, blockRows, cb, blockColumns).permute(0, 2, 1, 3).reshape(rb * cb, -1);
        var values = Blocks(matrix);
        var count = Blocks(ones_like(matrix)).sum(-1);
        var score = ScoreCriterion.Score(values, criterion, count).reshape(1, -1);
        var keepBlocks = LowestSelection.KeepLowestPerRow(score, PruneOptions.PruneCount(ratio, rb * cb));
        var keep = keepBlocks.reshape(rb, 1, cb, 1).expand(rb, blockRows, cb, blockColumns).reshape(rb * blockRows, cb * blockColumns);
        return keep.narrow(0, 0, r).narrow(1, 0, c).reshape(target.Weight.shape);
    }
}
