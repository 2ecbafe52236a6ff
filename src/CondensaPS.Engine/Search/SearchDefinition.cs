using System.Globalization;

namespace CondensaPS.Engine.Search;

/// <summary>
/// What to search: the strategy parameter and its range, the constraints relative to the reference (all must hold),
/// the objective inside the feasible range, and the trial budget. <see cref="Create"/> checks every part and throws
/// <see cref="SearchDefinitionException"/> naming the setting at fault.
/// </summary>
public sealed record SearchDefinition
{
    public const int DefaultMaxTrials = 10;
    public const int MaxTrialsLimit = 200;

    private SearchDefinition(SearchParameter parameter, IReadOnlyList<SearchConstraint> constraints, SearchObjective objective, int maxTrials)
    {
        Parameter = parameter;
        Constraints = constraints;
        Objective = objective;
        MaxTrials = maxTrials;
    }

    public SearchParameter Parameter { get; }
    public IReadOnlyList<SearchConstraint> Constraints { get; }
    public SearchObjective Objective { get; }
    public int MaxTrials { get; }

    public static SearchDefinition Create(SearchParameter parameter, IReadOnlyList<SearchConstraint> constraints, SearchObjective objective, int maxTrials = DefaultMaxTrials)
    {
        CheckRange(parameter);
        if (constraints.Count == 0)
            throw new SearchDefinitionException("SearchNoConstraint", "constraints",
                $"A search needs at least one constraint relative to the reference: {string.Join(", ", SearchConstraint.Keys)}.");
        foreach (var c in constraints)
        {
            if (!double.IsFinite(c.Maximum) || (c.Metric != ConstraintMetric.AccuracyDrop && c.Maximum < 0))
                throw new SearchDefinitionException("SearchInvalidConstraint", "constraints." + c.Key,
                    $"Constraint {c.Key}: {F(c.Maximum)} is not a bound it can meet; give a finite number{(c.Metric == ConstraintMetric.AccuracyDrop ? "" : " of at least 0")}.", c.Maximum);
            if (c.Metric == ConstraintMetric.MismatchRate && c.Maximum > 1)
                throw new SearchDefinitionException("SearchInvalidConstraint", "constraints." + c.Key,
                    $"Constraint {c.Key}: {F(c.Maximum)} is above 1; a mismatch rate is a fraction of the samples (0.02 is 2%).", c.Maximum);
        }
        if (constraints.GroupBy(c => c.Metric).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SearchDefinitionException("SearchInvalidConstraint", "constraints." + SearchConstraint.KeyOf(twice.Key),
                $"Constraint {SearchConstraint.KeyOf(twice.Key)} is given twice.", twice.Key);
        if (maxTrials < 1 || maxTrials > MaxTrialsLimit)
            throw new SearchDefinitionException("SearchInvalidMaxTrials", "max-trials", $"max-trials must be between 1 and {MaxTrialsLimit}, not {maxTrials}.", maxTrials);
        return new SearchDefinition(parameter, constraints, objective, maxTrials);
    }

    /// <summary>Checks a range: 0 ≤ min &lt; max ≤ 1 (the searched parameter is a ratio) and 0 &lt; step ≤ max − min.</summary>
    public static void CheckRange(SearchParameter p)
    {
        foreach (var (value, part) in new[] { (p.Minimum, "min"), (p.Maximum, "max") })
            if (!(value >= 0 && value <= 1))
                throw new SearchDefinitionException("SearchRangeOutsideUnit", $"{p.Name}.{part}",
                    $"The range of '{p.Name}' has {part} {F(value)}, outside 0..1: the searched parameter is a ratio (larger compresses more).", value);
        if (!(p.Minimum < p.Maximum))
            throw new SearchDefinitionException("SearchRangeReversed", $"{p.Name}.min",
                $"The range of '{p.Name}' has min {F(p.Minimum)} {(p.Minimum == p.Maximum ? "equal to" : "above")} max {F(p.Maximum)}; give min < max.", p.Minimum);
        if (!(p.Step > 0) || p.Step > p.Maximum - p.Minimum + 1e-12)
            throw new SearchDefinitionException("SearchInvalidStep", $"{p.Name}.step",
                $"The step of '{p.Name}' is {F(p.Step)}; it must be above 0 and at most max - min ({F(p.Maximum - p.Minimum)}).", p.Step);
    }

    /// <summary>Whether constraint values (in <see cref="Constraints"/> order) meet every constraint.</summary>
    public bool IsFeasible(IReadOnlyList<double> values)
    {
        for (int i = 0; i < Constraints.Count; i++)
            if (!Constraints[i].IsMet(values[i])) return false;
        return true;
    }

    /// <summary>The combined warped slack: the largest <see cref="SearchConstraint.Slack"/> (feasible at or below 0).</summary>
    public double Slack(IReadOnlyList<double> values)
    {
        double worst = double.NegativeInfinity;
        for (int i = 0; i < Constraints.Count; i++) worst = Math.Max(worst, Constraints[i].Slack(values[i]));
        return worst;
    }

    public override string ToString() => $"{WhatIsSearched}; at most {MaxTrials} trial(s)";

    /// <summary>The range, constraints and objective without the budget: a resumed search may be given more trials.</summary>
    public string WhatIsSearched => $"{Parameter}; {string.Join(", ", Constraints)}; {Objective}";

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
