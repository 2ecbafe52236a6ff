using CondensaPS.Engine.Training;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class BlockFisherTests
{
    public BlockFisherTests() => TorchRuntime.EnsureInitialized();

    // Four weights (one block, padded with 60 zero weights) and two batches whose loss sum(w * c) has the gradient c.
    private static readonly double[] W = { 0.5, -0.2, 0.3, 0.1 };
    private static readonly double[] C1 = { 1.0, 2.0, 0.0, -1.0 };
    private static readonly double[] C2 = { 0.5, -1.0, 1.0, 2.0 };

    /// <summary>The damped Fisher of the four weights, by hand: (c1 c1^T + c2 c2^T) / 2 + lambda I, lambda = 0.1 x the padded block's mean diagonal.</summary>
    private static double[,] HandFisher()
    {
        var f = new double[4, 4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                f[i, j] = (C1[i] * C1[j] + C2[i] * C2[j]) / 2;
        double trace = 0;
        for (int i = 0; i < 4; i++) trace += f[i, i];
        double lambda = BlockFisher.Dampening * trace / BlockFisher.BlockSize + 1e-10;
        for (int i = 0; i < 4; i++) f[i, i] += lambda;
        return f;
    }

    /// <summary>Gauss-Jordan inverse of a small matrix, in doubles.</summary>
    private static double[,] Inverse(double[,] a)
    {
        int n = a.GetLength(0);
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) m[i, j] = a[i, j]; m[i, n + i] = 1; }
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            for (int j = 0; j < 2 * n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
            double p = m[col, col];
            for (int j = 0; j < 2 * n; j++) m[col, j] /= p;
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double factor = m[r, col];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= factor * m[col, j];
            }
        }
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i, j] = m[i, n + j];
        return inv;
    }

    private static BlockFisher Observed(Tensor weight)
    {
        var fisher = new BlockFisher(new[] { weight });
        foreach (var c in new[] { C1, C2 })
        {
            (weight * tensor(c.Select(x => (float)x).ToArray())).sum().backward();
            fisher.Observe();
            weight.grad!.zero_();
        }
        return fisher;
    }

    [Fact]
    public void Scores_are_OBS_estimates_from_the_damped_block_Fisher_of_the_kept_gradients()
    {
        using var scope = NewDisposeScope();
        var weight = tensor(W.Select(x => (float)x).ToArray()).requires_grad_();
        using var fisher = Observed(weight);
        Assert.Equal(2, fisher.Observed);
        var blocks = fisher.Blocks(0);
        Assert.Equal(new long[] { 1, BlockFisher.BlockSize, BlockFisher.BlockSize }, blocks.shape);
        var inverse = Inverse(HandFisher());
        using var _ = no_grad();
        var scores = BlockFisher.Scores(weight, blocks).to(ScalarType.Float64).data<double>().ToArray();
        for (int q = 0; q < 4; q++)
            Assert.Equal(W[q] * W[q] / inverse[q, q], scores[q], 4);
    }

    [Fact]
    public void Compensation_moves_the_kept_weights_by_F_SS_inverse_F_SQ_w_Q_and_zeroes_the_pruned()
    {
        using var scope = NewDisposeScope();
        var weight = tensor(W.Select(x => (float)x).ToArray()).requires_grad_();
        using var fisher = Observed(weight);
        var blocks = fisher.Blocks(0);
        using var _ = no_grad();
        BlockFisher.Compensate(weight, tensor(new[] { true, false, true, false }), blocks);

        // By hand: S = {0, 2}, Q = {1, 3}; d_S = F_SS^-1 (F_SQ w_Q).
        var f = HandFisher();
        int[] s = { 0, 2 }, q = { 1, 3 };
        var fss = new double[2, 2];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) fss[i, j] = f[s[i], s[j]];
        var inv = Inverse(fss);
        var rhs = s.Select(i => q.Sum(j => f[i, j] * W[j])).ToArray();
        var expected = new double[4];
        for (int i = 0; i < 2; i++) expected[s[i]] = W[s[i]] + inv[i, 0] * rhs[0] + inv[i, 1] * rhs[1];
        var got = weight.to(ScalarType.Float64).data<double>().ToArray();
        for (int k = 0; k < 4; k++) Assert.Equal(expected[k], got[k], 4);
        // The update is not trivial here: the kept weights moved.
        Assert.True(Math.Abs(got[0] - W[0]) > 1e-3 || Math.Abs(got[2] - W[2]) > 1e-3);
    }

    [Fact]
    public void The_estimate_uses_only_the_latest_gradients()
    {
        using var scope = NewDisposeScope();
        var weight = zeros(3).requires_grad_();
        using var fisher = new BlockFisher(new[] { weight });
        // An early large gradient, then Gradients batches of ones: the early one has left the estimate.
        (weight * 100).sum().backward();
        fisher.Observe();
        weight.grad!.zero_();
        for (int b = 0; b < BlockFisher.Gradients; b++)
        {
            weight.sum().backward();
            fisher.Observe();
            weight.grad!.zero_();
        }
        var blocks = fisher.Blocks(0);
        // F = 1 for every pair of the three weights, plus lambda = 0.1 x 3 / 64 on the diagonal.
        Assert.Equal(1.0, blocks[0, 0, 1].item<float>(), 5);
        Assert.Equal(1.0 + BlockFisher.Dampening * 3 / BlockFisher.BlockSize, blocks[0, 1, 1].item<float>(), 5);
    }
}
