using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;

namespace CondensaPS.Engine.Search.Bayes;

/// <summary>
/// Gaussian-process regression (Rasmussen and Williams, algorithm 2.1) on MathNet.Numerics: a zero-mean GP over
/// standardised targets (subtract the mean, divide by the standard deviation, as scikit-learn's normalize_y does; or
/// subtract a given prior mean and divide by the root mean square around it),
/// with a kernel and a noise variance on the diagonal. <see cref="Fit"/> chooses the hyperparameters by maximising the
/// log marginal likelihood (Nelder-Mead in log space from a fixed set of starts, inside <see cref="HyperparameterBounds"/>);
/// <see cref="WithParameters"/> takes them as given. Predictions are the latent function's mean and variance (without
/// the observation noise), in the targets' own units.
/// </summary>
public sealed class GaussianProcess
{
    private readonly double[][] _x;
    private readonly Vector<double> _alpha;
    private readonly Matrix<double> _lower;

    private GaussianProcess(KernelKind kind, KernelParameters parameters, double[][] x, double yMean, double yScale, Vector<double> alpha, Matrix<double> lower, double logMarginalLikelihood)
    {
        Kind = kind;
        Parameters = parameters;
        _x = x;
        YMean = yMean;
        YScale = yScale;
        _alpha = alpha;
        _lower = lower;
        LogMarginalLikelihood = logMarginalLikelihood;
    }

    public KernelKind Kind { get; }
    /// <summary>The hyperparameters, in standardised target units.</summary>
    public KernelParameters Parameters { get; }
    /// <summary>The mean subtracted from the targets.</summary>
    public double YMean { get; }
    /// <summary>The standard deviation the targets were divided by (1 when they do not vary).</summary>
    public double YScale { get; }
    /// <summary>log p(y | X, θ) of the standardised targets.</summary>
    public double LogMarginalLikelihood { get; }
    public int Count => _x.Length;

    /// <summary>A GP with the given hyperparameters (in standardised units).</summary>
    public static GaussianProcess WithParameters(IReadOnlyList<double[]> x, IReadOnlyList<double> y, KernelKind kind, KernelParameters parameters, double? priorMean = null)
    {
        var (xs, ys, mean, scale) = Standardise(x, y, priorMean);
        return Build(kind, parameters, xs, ys, mean, scale)
            ?? throw new EngineException("GaussianProcessSingular", EngineErrorKind.InvalidData,
                $"The kernel matrix is not positive definite with {parameters}; add noise variance.", parameters);
    }

    /// <summary>
    /// A GP whose hyperparameters maximise the log marginal likelihood within <paramref name="bounds"/>. The search runs
    /// in an unbounded space u, with log θ = lower + (upper − lower) · sigmoid(u), so the simplex never stalls on a bound.
    /// </summary>
    public static GaussianProcess Fit(IReadOnlyList<double[]> x, IReadOnlyList<double> y, KernelKind kind = KernelKind.Matern52, HyperparameterBounds? bounds = null, double? priorMean = null)
    {
        if (x.Count == 0) throw new ArgumentException("a Gaussian process needs at least one observation.", nameof(x));
        bounds ??= HyperparameterBounds.Default;
        var (xs, ys, mean, scale) = Standardise(x, y, priorMean);
        var lowerBound = bounds.Lower;
        var upperBound = bounds.Upper;

        KernelParameters ToParameters(Vector<double> u) =>
            FromLog(Vector<double>.Build.Dense(u.Count, i => lowerBound[i] + (upperBound[i] - lowerBound[i]) / (1 + Math.Exp(-u[i]))));

        double NegativeLml(Vector<double> u) =>
            Build(kind, ToParameters(u), xs, ys, mean, scale) is { } gp ? -gp.LogMarginalLikelihood : 1e30;

        GaussianProcess? best = null;
        foreach (var start in bounds.Starts())
        {
            Vector<double> found;
            try
            {
                var result = NelderMeadSimplex.Minimum(ObjectiveFunction.Value(NegativeLml), Vector<double>.Build.DenseOfArray(start), 1e-10, 4000);
                found = result.MinimizingPoint;
            }
            catch (MaximumIterationsException)
            {
                found = Vector<double>.Build.DenseOfArray(start);
            }
            var candidate = Build(kind, ToParameters(found), xs, ys, mean, scale);
            if (candidate is not null && (best is null || candidate.LogMarginalLikelihood > best.LogMarginalLikelihood)) best = candidate;
        }
        return best ?? Build(kind, bounds.Fallback, xs, ys, mean, scale)
            ?? throw new EngineException("GaussianProcessSingular", EngineErrorKind.InvalidData, "The Gaussian process could not be fitted to the observations.");
    }

    /// <summary>The posterior mean and variance of the latent function at <paramref name="x"/>, in the targets' units.</summary>
    public GpPrediction Predict(IReadOnlyList<double> x)
    {
        var k = Vector<double>.Build.Dense(_x.Length, i => Kernel.Covariance(Kind, Parameters, _x[i], x));
        double mean = k.DotProduct(_alpha);
        var v = _lower.Solve(k);
        double variance = Math.Max(Kernel.Covariance(Kind, Parameters, x, x) - v.DotProduct(v), 1e-12);
        return new GpPrediction(mean * YScale + YMean, variance * YScale * YScale);
    }

    public GpPrediction Predict(double x) => Predict(new[] { x });

    private static GaussianProcess? Build(KernelKind kind, KernelParameters p, double[][] x, double[] y, double yMean, double yScale)
    {
        int n = x.Length;
        var k = Matrix<double>.Build.Dense(n, n, (i, j) => Kernel.Covariance(kind, p, x[i], x[j]) + (i == j ? p.NoiseVariance : 0));
        Matrix<double> lower;
        try
        {
            var cholesky = k.Cholesky();
            lower = cholesky.Factor;
        }
        catch (ArgumentException)
        {
            return null;
        }
        for (int i = 0; i < n; i++)
            if (!(lower[i, i] > 0) || double.IsNaN(lower[i, i])) return null;
        var target = Vector<double>.Build.DenseOfArray(y);
        // alpha = K^-1 y through the triangular factors: L (L^T alpha) = y.
        var alpha = lower.Transpose().Solve(lower.Solve(target));
        double logDet = 0;
        for (int i = 0; i < n; i++) logDet += Math.Log(lower[i, i]);
        double lml = -0.5 * target.DotProduct(alpha) - logDet - 0.5 * n * Math.Log(2 * Math.PI);
        return new GaussianProcess(kind, p, x, yMean, yScale, alpha, lower, lml);
    }

    private static (double[][] X, double[] Y, double Mean, double Scale) Standardise(IReadOnlyList<double[]> x, IReadOnlyList<double> y, double? priorMean)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} inputs but {y.Count} targets.");
        if (y.Any(v => !double.IsFinite(v))) throw new ArgumentException("targets must be finite numbers.", nameof(y));
        double mean = priorMean ?? (y.Count == 0 ? 0 : y.Average());
        double variance = y.Count == 0 ? 0 : y.Sum(v => (v - mean) * (v - mean)) / y.Count;
        double scale = variance > 1e-24 ? Math.Sqrt(variance) : 1.0;
        return (x.Select(r => r.ToArray()).ToArray(), y.Select(v => (v - mean) / scale).ToArray(), mean, scale);
    }

    private static KernelParameters FromLog(Vector<double> logTheta) => new(Math.Exp(logTheta[0]), Math.Exp(logTheta[1]), Math.Exp(logTheta[2]));
}

/// <summary>A posterior at one point: mean and variance of the latent function.</summary>
public readonly record struct GpPrediction(double Mean, double Variance)
{
    public double StandardDeviation => Math.Sqrt(Variance);
}

/// <summary>
/// Where <see cref="GaussianProcess.Fit"/> looks for hyperparameters (standardised targets, inputs in [0, 1]): signal
/// variance, length scale and noise variance, each between a lower and an upper bound, searched in log space from a
/// grid of starting points.
/// </summary>
public sealed record HyperparameterBounds(
    double SignalVarianceMin, double SignalVarianceMax,
    double LengthScaleMin, double LengthScaleMax,
    double NoiseVarianceMin, double NoiseVarianceMax)
{
    /// <summary>σ² in [0.05, 20], ℓ in [0.03, 3], noise in [1e-6, 0.5].</summary>
    public static HyperparameterBounds Default { get; } = new(0.05, 20, 0.03, 3, 1e-6, 0.5);

    internal double[] Lower => new[] { Math.Log(SignalVarianceMin), Math.Log(LengthScaleMin), Math.Log(NoiseVarianceMin) };
    internal double[] Upper => new[] { Math.Log(SignalVarianceMax), Math.Log(LengthScaleMax), Math.Log(NoiseVarianceMax) };

    internal KernelParameters Fallback => new(1, Math.Sqrt(LengthScaleMin * LengthScaleMax), Math.Sqrt(NoiseVarianceMin * NoiseVarianceMax));

    /// <summary>
    /// Starting points in the fit's unbounded space (u with log θ = lower + (upper − lower) · sigmoid(u)): two signal
    /// variances by three length scales by two noise levels, at fixed fractions of each log range.
    /// </summary>
    internal IEnumerable<double[]> Starts()
    {
        static double Logit(double fraction) => Math.Log(fraction / (1 - fraction));
        foreach (var signal in new[] { 0.4, 0.7 })
            foreach (var length in new[] { 0.2, 0.5, 0.8 })
                foreach (var noise in new[] { 0.3, 0.8 })
                    yield return new[] { Logit(signal), Logit(length), Logit(noise) };
    }
}
