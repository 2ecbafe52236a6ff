namespace CondensaPS.Engine.Training.Losses;

/// <summary>Fixed weights, or SoftAdapt's plain or loss-weighted variant.</summary>
public enum SoftAdaptVariant
{
    None,
    LossWeighted,
    Plain,
}

/// <summary>
/// SoftAdapt (Heydari et al. 2019): term weights adapted online from how fast each term changes. With the last
/// window+1 recorded values of term k, its rate of change is s_k = (L_k[now] - L_k[now - window]) / window. Plain:
/// w_k = exp(beta s_k) / sum_j exp(beta s_j). Loss-weighted: w_k = L_k exp(beta s_k) / sum_j L_j exp(beta s_j) with
/// L_k the current value. Until window+1 values are recorded the initial weights are used. Weights sum to 1.
/// </summary>
public sealed class SoftAdapt
{
    private readonly List<double[]> _values = new();
    private readonly double[] _initial;

    public SoftAdapt(SoftAdaptVariant variant, double beta, int window, IReadOnlyList<double> initial)
    {
        if (window < 1) throw new ArgumentOutOfRangeException(nameof(window));
        Variant = variant;
        Beta = beta;
        Window = window;
        _initial = initial.ToArray();
        Current = _initial.ToArray();
    }

    public SoftAdaptVariant Variant { get; }
    public double Beta { get; }
    public int Window { get; }
    public IReadOnlyList<double> Current { get; private set; }

    /// <summary>Records one step's term values and returns the weights for the next step.</summary>
    public IReadOnlyList<double> Update(IReadOnlyList<double> values)
    {
        if (Variant == SoftAdaptVariant.None) return Current;
        _values.Add(values.ToArray());
        if (_values.Count > Window + 1) _values.RemoveAt(0);
        if (_values.Count == Window + 1)
            Current = Weights(Variant, Beta, _values[0], _values[^1], Window);
        return Current;
    }

    /// <summary>The formula on two snapshots <paramref name="window"/> steps apart.</summary>
    public static double[] Weights(SoftAdaptVariant variant, double beta, IReadOnlyList<double> then, IReadOnlyList<double> now, int window)
    {
        int n = now.Count;
        var rates = new double[n];
        for (int k = 0; k < n; k++) rates[k] = (now[k] - then[k]) / window;
        double max = rates.Max(r => beta * r);
        var w = new double[n];
        for (int k = 0; k < n; k++)
        {
            w[k] = Math.Exp(beta * rates[k] - max);
            if (variant == SoftAdaptVariant.LossWeighted) w[k] *= now[k];
        }
        double sum = w.Sum();
        if (!(sum > 0) || double.IsInfinity(sum)) return Enumerable.Repeat(1.0 / n, n).ToArray();
        for (int k = 0; k < n; k++) w[k] /= sum;
        return w;
    }
}
