using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Optimal Brain Surgeon with a block-diagonal empirical Fisher (after Singh and Alistarh 2020, "WoodFisher"): the
/// last <see cref="Gradients"/> batch gradients of each weight tensor are kept; at a prune point each tensor is cut
/// into blocks of <see cref="BlockSize"/> consecutive weights (a filter's or an output unit's), each block's Fisher is
/// F = G^T G / m, damped by <see cref="Dampening"/> times its mean diagonal, and
/// <list type="bullet">
/// <item>a weight's score is OBS's estimate of the loss's rise when it alone goes to zero, w^2 / [F^-1]_qq (halved,
/// which does not change the order);</item>
/// <item>once the pruned set Q of a block is chosen, the block's kept weights S move to make up for it: the change d
/// with d_Q = -w_Q that rises the quadratic model d^T F d least, d_S = F_SS^-1 F_SQ w_Q.</item>
/// </list>
/// Memory: <see cref="Gradients"/> copies of every tracked weight (32 x 4 bytes a weight for float32).
/// </summary>
internal sealed class BlockFisher : IDisposable
{
    /// <summary>How many of the latest batch gradients make the estimate.</summary>
    public const int Gradients = 32;
    /// <summary>How many consecutive weights (in the tensor's storage order) form one block.</summary>
    public const int BlockSize = 64;
    /// <summary>The dampening added to each block's diagonal, relative to the diagonal's mean.</summary>
    public const double Dampening = 0.1;

    private readonly IReadOnlyList<Tensor> _weights;
    private readonly List<Tensor> _recent = new();
    private long _observed;

    public BlockFisher(IReadOnlyList<Tensor> weights)
    {
        _weights = weights;
        foreach (var w in weights)
            _recent.Add(TorchSharp.torch.zeros(new long[] { Gradients, w.numel() }, dtype: w.dtype, device: w.device).DetachFromDisposeScope());
    }

    /// <summary>How many batch gradients have been observed (the estimate uses the latest <see cref="Gradients"/>).</summary>
    public long Observed => _observed;

    /// <summary>Keeps the current gradient of every weight tensor (after a backward pass).</summary>
    public void Observe()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long row = _observed++ % Gradients;
        for (int i = 0; i < _weights.Count; i++)
            if (_weights[i].grad is { } grad) _recent[i][row].copy_(grad.reshape(-1));
    }

    /// <summary>Tensor <paramref name="index"/>'s damped Fisher blocks, [blocks, B, B] (its last block padded with zero weights).</summary>
    public Tensor Blocks(int index)
    {
        var g = _recent[index].narrow(0, 0, Math.Clamp(_observed, 1, Gradients));
        long n = g.shape[1], padded = Padded(n);
        if (padded > n) g = nn.functional.pad(g, new long[] { 0, padded - n });
        var perBlock = g.reshape(g.shape[0], padded / BlockSize, BlockSize).permute(1, 0, 2); // [blocks, m, B]
        var fisher = perBlock.transpose(1, 2).matmul(perBlock).div(g.shape[0]);
        var mean = fisher.diagonal(0, 1, 2).mean(new long[] { 1 }, keepdim: true);            // [blocks, 1]
        var damp = (mean * Dampening + 1e-10).unsqueeze(2) * eye(BlockSize, dtype: fisher.dtype, device: fisher.device).unsqueeze(0);
        return fisher + damp;
    }

    /// <summary>OBS's scores w^2 / [F^-1]_qq of <paramref name="weight"/>, shaped like it, from its Fisher <paramref name="blocks"/>.</summary>
    public static Tensor Scores(Tensor weight, Tensor blocks)
    {
        long n = weight.numel();
        var inverseDiagonal = linalg.inv(blocks).diagonal(0, 1, 2).reshape(-1).narrow(0, 0, n);
        var w = weight.reshape(-1);
        return (w * w / inverseDiagonal).reshape(weight.shape);
    }

    /// <summary>
    /// Moves the weights that <paramref name="keep"/> (bool or 0/1, shaped like the weight) keeps by OBS's update for
    /// the ones it prunes, block by block, and sets the pruned ones to zero, in place.
    /// </summary>
    public static void Compensate(Tensor weight, Tensor keep, Tensor blocks)
    {
        long n = weight.numel(), padded = Padded(n), count = padded / BlockSize;
        var w = weight.reshape(-1);
        var s = keep.reshape(-1).to(weight.dtype);
        if (padded > n)
        {
            w = nn.functional.pad(w, new long[] { 0, padded - n });
            s = nn.functional.pad(s, new long[] { 0, padded - n });
        }
        var wb = w.reshape(count, BlockSize, 1);
        var sb = s.reshape(count, BlockSize, 1);
        var qb = 1 - sb;
        // Solve [F_SS 0; 0 I] x = [F_SQ w_Q; 0]: x_S = F_SS^-1 F_SQ w_Q, x_Q = 0.
        var rhs = blocks.matmul(wb * qb) * sb;
        var restricted = blocks * sb * sb.transpose(1, 2) + qb.squeeze(2).diag_embed();
        var moved = (wb + linalg.solve(restricted, rhs)) * sb;
        weight.copy_(moved.reshape(-1).narrow(0, 0, n).reshape(weight.shape));
    }

    private static long Padded(long n) => (n + BlockSize - 1) / BlockSize * BlockSize;

    public void Dispose()
    {
        foreach (var r in _recent) r.Dispose();
        _recent.Clear();
    }
}
