using System.Globalization;

namespace CondensaPS.Engine.Search;

/// <summary>
/// One searched strategy parameter: a continuous range [Minimum, Maximum] sampled on a grid of <see cref="Step"/>
/// (given, or the largest 1, 2 or 5 times a power of ten that cuts the range into at least 50 steps). The search
/// reads larger values as more compression (a pruning ratio), which is what "the largest value that meets the
/// constraint" means.
/// </summary>
public sealed record SearchParameter
{
    public SearchParameter(string name, double minimum, double maximum, double? step = null)
    {
        Name = name;
        Minimum = minimum;
        Maximum = maximum;
        Step = step ?? DefaultStep(minimum, maximum);
    }

    public string Name { get; }
    public double Minimum { get; }
    public double Maximum { get; }
    /// <summary>The grid the search samples on: values are Minimum + k × Step (and Maximum).</summary>
    public double Step { get; }

    /// <summary>The grid values, from Minimum to Maximum (Maximum included even when the steps do not reach it exactly).</summary>
    public IReadOnlyList<double> Grid()
    {
        var values = new List<double>();
        int count = (int)Math.Floor((Maximum - Minimum) / Step + 1e-9);
        for (int k = 0; k <= count; k++) values.Add(Round(Minimum + k * Step));
        if (Maximum - values[^1] > Step * 1e-6) values.Add(Maximum);
        return values;
    }

    /// <summary>The grid value nearest to <paramref name="value"/>.</summary>
    public double Snap(double value)
    {
        var grid = Grid();
        return grid.MinBy(g => Math.Abs(g - value));
    }

    /// <summary>The value on [0, 1] (the Gaussian process's input).</summary>
    public double Normalize(double value) => Maximum > Minimum ? (value - Minimum) / (Maximum - Minimum) : 0;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} in [{Minimum:G6}, {Maximum:G6}] step {Step:G6}");

    /// <summary>Rounds away binary noise (0.7 + 3 × 0.01 = 0.73, not 0.7299999999999999).</summary>
    internal static double Round(double value) => Math.Round(value, 10);

    private static double DefaultStep(double minimum, double maximum)
    {
        double range = maximum - minimum;
        if (!(range > 0)) return 1;
        double target = range / 50;
        double power = Math.Pow(10, Math.Floor(Math.Log10(target)));
        foreach (var m in new[] { 5.0, 2.0, 1.0 })
            if (m * power <= target * (1 + 1e-9)) return Round(m * power);
        return Round(power);
    }
}
