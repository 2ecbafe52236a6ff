using System.Globalization;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Search;

/// <summary>What a constraint bounds, relative to the reference model on the validation data.</summary>
public enum ConstraintMetric
{
    /// <summary>Reference accuracy minus compressed accuracy, in percentage points (negative: the compressed model is better).</summary>
    AccuracyDrop,
    /// <summary>Fraction of validation samples whose predicted label differs from the reference's (0 to 1).</summary>
    MismatchRate,
    /// <summary>Count of mismatches on samples the reference classifies correctly (negative flips).</summary>
    MismatchesReferenceRight,
}

/// <summary>A constraint a trial must meet: its metric at most <see cref="Maximum"/>.</summary>
public sealed record SearchConstraint(ConstraintMetric Metric, double Maximum)
{
    /// <summary>The kebab-case key of strategy files and trial metrics ("accuracy-drop").</summary>
    public string Key => KeyOf(Metric);

    public static string KeyOf(ConstraintMetric metric) => StepSettings.ToKebab(metric.ToString());

    /// <summary>Parses "accuracy-drop", "AccuracyDrop", "accuracy_drop"; null when unknown.</summary>
    public static ConstraintMetric? Parse(string text)
    {
        var plain = text.Replace("-", "").Replace("_", "");
        foreach (var name in Enum.GetNames<ConstraintMetric>())
            if (string.Equals(name, plain, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<ConstraintMetric>(name);
        return null;
    }

    public static IEnumerable<string> Keys => Enum.GetValues<ConstraintMetric>().Select(KeyOf);

    /// <summary>
    /// Where the search's warping of this constraint turns from linear to logarithmic: the bound itself, or a unit
    /// of the metric when the bound is 0 (0.1 point, a mismatch rate of 0.001, one sample).
    /// </summary>
    public double Scale => Math.Abs(Maximum) > 0 ? Math.Abs(Maximum) : Metric switch
    {
        ConstraintMetric.AccuracyDrop => 0.1,
        ConstraintMetric.MismatchRate => 0.001,
        _ => 1,
    };

    /// <summary>
    /// Whether a measured value meets the bound. The metrics are differences of counts divided by a sample count, so a
    /// drop of exactly 1 point can come out as 1.0000000000000009: a relative tolerance of 1e-9 keeps it within.
    /// </summary>
    public bool IsMet(double value) => value <= Maximum + 1e-9 * Math.Max(1, Math.Abs(Maximum));

    /// <summary>How far past the bound a value is, warped: asinh((value − Maximum) / Scale); feasible at or below 0.</summary>
    public double Slack(double value) => Math.Asinh((value - Maximum) / Scale);

    /// <summary>A value's metric, back from a warped slack (the inverse of <see cref="Slack"/>).</summary>
    public double Unwarp(double slack) => Maximum + Scale * Math.Sinh(slack);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Key} <= {Maximum:G6}");
}
