using CondensaPS.Engine.Structure;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// How much a group's channels matter, one score per channel, as Torch-Pruning's group magnitude importance: for
/// each weight the group indexes (the producers' filters or rows, the consumers' input columns, batch-norm scales,
/// depthwise filters) the sum of |w|^p over the channel's slice, averaged over those weights. Biases and running
/// statistics do not count. Pruned (masked) weights are zero and add nothing.
/// </summary>
internal static class GroupImportance
{
    public static double[] Score(ChannelSpace group, Func<string, Tensor?> tensors, int power)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sum = zeros(group.Size, dtype: ScalarType.Float64);
        int counted = 0;
        foreach (var m in group.Members)
        {
            if (m.Role == MemberRole.Follower && !m.Tensor.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var t = tensors(m.Tensor);
            if (t is null || !t.is_floating_point()) continue;
            var x = t.detach().to(ScalarType.Float64).abs();
            if (power == 2) x = x.square();
            var slice = x.movedim(new long[] { m.Dim }, new long[] { 0 }).narrow(0, m.Offset, group.Size * m.Block).reshape(group.Size, -1).sum(1);
            sum.add_(slice);
            counted++;
        }
        if (counted > 0) sum.div_(counted);
        return sum.cpu().data<double>().ToArray();
    }
}
