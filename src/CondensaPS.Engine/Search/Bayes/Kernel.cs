namespace CondensaPS.Engine.Search.Bayes;

/// <summary>The covariance functions a <see cref="GaussianProcess"/> can use (isotropic, on inputs scaled to [0, 1]).</summary>
public enum KernelKind
{
    /// <summary>Matérn with ν = 5/2: twice differentiable, the usual choice for Bayesian optimisation.</summary>
    Matern52,
    /// <summary>Squared exponential (RBF): infinitely smooth.</summary>
    SquaredExponential,
}

/// <summary>
/// A kernel's hyperparameters: the signal variance σ², the length scale ℓ and the noise variance added on the
/// diagonal (observations are noisy: two retrainings at nearly the same ratio do not give the same accuracy).
/// </summary>
public sealed record KernelParameters(double SignalVariance, double LengthScale, double NoiseVariance)
{
    public override string ToString() =>
        FormattableString.Invariant($"signal variance {SignalVariance:G4}, length scale {LengthScale:G4}, noise variance {NoiseVariance:G4}");
}

/// <summary>Evaluates a kernel between two points.</summary>
public static class Kernel
{
    private static readonly double Sqrt5 = Math.Sqrt(5);

    /// <summary>k(a, b) without the noise term.</summary>
    public static double Covariance(KernelKind kind, KernelParameters p, IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double squared = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double d = a[i] - b[i];
            squared += d * d;
        }
        return kind switch
        {
            KernelKind.Matern52 => Matern52(p, Math.Sqrt(squared)),
            KernelKind.SquaredExponential => p.SignalVariance * Math.Exp(-squared / (2 * p.LengthScale * p.LengthScale)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static double Matern52(KernelParameters p, double distance)
    {
        double r = Sqrt5 * distance / p.LengthScale;
        return p.SignalVariance * (1 + r + r * r / 3) * Math.Exp(-r);
    }
}
