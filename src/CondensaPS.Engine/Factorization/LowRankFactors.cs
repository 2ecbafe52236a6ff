using CondensaPS.Engine.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Factorization;

/// <summary>
/// The weights of the thinner layers that replace one layer (in the order of its nn.Sequential), computed in float64
/// from the layer's weight: truncated SVD with the singular values split evenly between the two factors (sqrt(S) on
/// each side), or Tucker-2 by higher-order SVD (the leading left singular vectors of the output- and input-channel
/// unfoldings, and the core they project the kernel onto). <see cref="Energy"/> is the share of the squared singular
/// values the kept ranks retain (per mode for Tucker-2: the smaller of the two).
/// </summary>
internal sealed record LowRankFactors(IReadOnlyList<Tensor> Weights, double Energy) : IDisposable
{
    public void Dispose()
    {
        foreach (var w in Weights) w.Dispose();
    }

    /// <summary>The largest rank(s) the weight allows: SVD min(out, in * kh * kw); Tucker-2 (in, out).</summary>
    public static (int Rank, int OutputRank) MaxRanks(Tensor weight, FactorizationKind kind)
    {
        long outFeatures = weight.shape[0], inFeatures = weight.numel() / outFeatures;
        return kind == FactorizationKind.Svd ? ((int)Math.Min(outFeatures, inFeatures), 0) : ((int)weight.shape[1], (int)outFeatures);
    }

    /// <summary>Singular values (descending) of the weight's unfolding along one mode (0: output channels, 1: input channels).</summary>
    public static double[] SingularValues(Tensor weight, int mode)
    {
        using var scope = NewDisposeScope();
        return linalg.svdvals(Unfold(weight.detach().to(ScalarType.Float64), mode)).cpu().data<double>().ToArray();
    }

    /// <summary>The smallest rank keeping at least <paramref name="energy"/> of the squared singular values.</summary>
    public static int RankFor(double[] singularValues, double energy)
    {
        double total = singularValues.Sum(s => s * s);
        if (total == 0) return 1;
        double kept = 0;
        for (int r = 0; r < singularValues.Length; r++)
        {
            kept += singularValues[r] * singularValues[r];
            if (kept >= energy * total * (1 - 1e-12)) return r + 1;
        }
        return singularValues.Length;
    }

    public static LowRankFactors Compute(Tensor weight, LayerFactorization f)
    {
        using var scope = NewDisposeScope();
        var w = weight.detach().cpu().to(ScalarType.Float64);
        var dtype = weight.dtype;
        Tensor[] factors;
        double energy;
        if (f.Kind == FactorizationKind.Svd)
        {
            var (u, s, vh) = linalg.svd(Unfold(w, 0), fullMatrices: false);
            var root = s.narrow(0, 0, f.Rank).sqrt();
            var first = root.unsqueeze(1) * vh.narrow(0, 0, f.Rank);            // [r, in * kh * kw]
            var second = u.narrow(1, 0, f.Rank) * root.unsqueeze(0);            // [out, r]
            factors = w.dim() == 2
                ? new[] { first, second }
                : new[] { first.reshape(f.Rank, w.shape[1], w.shape[2], w.shape[3]), second.reshape(w.shape[0], f.Rank, 1, 1) };
            energy = Share(s, f.Rank);
        }
        else
        {
            var (uOut, sOut, _) = linalg.svd(Unfold(w, 0), fullMatrices: false);
            var (uIn, sIn, _) = linalg.svd(Unfold(w, 1), fullMatrices: false);
            var outBasis = uOut.narrow(1, 0, f.OutputRank);                    // [out, r2]
            var inBasis = uIn.narrow(1, 0, f.Rank);                            // [in, r1]
            var core = einsum("oa,oihw,ib->abhw", outBasis, w, inBasis);       // [r2, r1, kh, kw]
            factors = new[]
            {
                inBasis.t().reshape(f.Rank, w.shape[1], 1, 1),
                core,
                outBasis.reshape(w.shape[0], f.OutputRank, 1, 1),
            };
            energy = Math.Min(Share(sOut, f.OutputRank), Share(sIn, f.Rank));
        }
        var weights = factors.Select(t => t.to(dtype).contiguous().MoveToOuterDisposeScope()).ToList();
        return new LowRankFactors(weights, energy);
    }

    /// <summary>The mode-n unfolding: mode 0 [out, in * kh * kw], mode 1 [in, out * kh * kw] (a linear weight is its own mode-0 unfolding).</summary>
    private static Tensor Unfold(Tensor w, int mode) =>
        mode == 0 ? w.reshape(w.shape[0], -1) : w.transpose(0, 1).reshape(w.shape[1], -1);

    private static double Share(Tensor singularValues, int rank)
    {
        var squares = singularValues.pow(2);
        double total = squares.sum().item<double>();
        return total == 0 ? 1 : squares.narrow(0, 0, rank).sum().item<double>() / total;
    }
}
