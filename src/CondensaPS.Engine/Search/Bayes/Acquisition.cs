using MathNet.Numerics.Distributions;

namespace CondensaPS.Engine.Search.Bayes;

/// <summary>
/// Acquisition functions over a GP posterior (mean μ, standard deviation σ at a candidate), all to be maximised.
/// </summary>
public static class Acquisition
{
    /// <summary>
    /// The straddle heuristic for level sets (Bryan et al., NIPS 2005): κσ − |μ − t|, largest where the posterior is
    /// uncertain and its mean is near the threshold t, i.e. where the boundary of {x : f(x) ≤ t} is least known.
    /// κ = 1.96 is the published choice.
    /// </summary>
    public static double Straddle(GpPrediction p, double threshold, double kappa = 1.96) =>
        kappa * p.StandardDeviation - Math.Abs(p.Mean - threshold);

    /// <summary>Upper confidence bound μ + κσ (Srinivas et al. 2010's GP-UCB with a fixed κ).</summary>
    public static double UpperConfidenceBound(GpPrediction p, double kappa = 2.0) => p.Mean + kappa * p.StandardDeviation;

    /// <summary>
    /// Expected improvement over <paramref name="best"/> for a maximisation (Jones et al. 1998):
    /// (μ − best − ξ) Φ(z) + σ φ(z) with z = (μ − best − ξ) / σ; max(μ − best − ξ, 0) when σ is 0.
    /// </summary>
    public static double ExpectedImprovement(GpPrediction p, double best, double xi = 0.0)
    {
        double sigma = p.StandardDeviation;
        double gain = p.Mean - best - xi;
        if (sigma < 1e-12) return Math.Max(gain, 0);
        double z = gain / sigma;
        return gain * Normal.CDF(0, 1, z) + sigma * Normal.PDF(0, 1, z);
    }

    /// <summary>P(f(x) ≤ t) under the posterior: Φ((t − μ) / σ).</summary>
    public static double ProbabilityAtMost(GpPrediction p, double threshold)
    {
        double sigma = p.StandardDeviation;
        if (sigma < 1e-12) return p.Mean <= threshold ? 1 : 0;
        return Normal.CDF(0, 1, (threshold - p.Mean) / sigma);
    }
}
