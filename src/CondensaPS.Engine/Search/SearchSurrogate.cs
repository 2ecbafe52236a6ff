using CondensaPS.Engine.Search.Bayes;

namespace CondensaPS.Engine.Search;

/// <summary>
/// The Gaussian processes of a search, fitted to its finished trials over the parameter scaled to [0, 1]: one over the
/// combined warped constraint slack (<see cref="SearchDefinition.Slack"/>, feasible at or below 0) with its prior mean at
/// the level 0, so that between distant trials the boundary is equally likely anywhere; one per constraint in the
/// metric's own (warped) units, for pictures; and one over the objective's score. Failed trials are left out.
/// </summary>
public sealed class SearchSurrogate
{
    private SearchSurrogate(SearchDefinition definition, GaussianProcess? slack, GaussianProcess? objective, IReadOnlyList<GaussianProcess?> constraints)
    {
        Definition = definition;
        Slack = slack;
        Objective = objective;
        Constraints = constraints;
    }

    public SearchDefinition Definition { get; }
    /// <summary>GP of the warped slack (null before the first successful trial).</summary>
    public GaussianProcess? Slack { get; }
    /// <summary>GP of the objective's score (maximised; null before the first successful trial).</summary>
    public GaussianProcess? Objective { get; }
    /// <summary>Per constraint, a GP of its warped value (asinh((value − bound) / scale)).</summary>
    public IReadOnlyList<GaussianProcess?> Constraints { get; }

    public static SearchSurrogate Fit(SearchDefinition definition, IReadOnlyList<SearchObservation> finished)
    {
        var ok = finished.Where(o => o.Succeeded && o.ConstraintValues is not null).ToList();
        var x = ok.Select(o => new[] { definition.Parameter.Normalize(o.Value) }).ToList();
        GaussianProcess? slack = null, objective = null;
        var constraints = new GaussianProcess?[definition.Constraints.Count];
        if (ok.Count > 0)
        {
            slack = GaussianProcess.Fit(x, ok.Select(o => definition.Slack(o.ConstraintValues!)).ToList(), priorMean: 0);
            for (int i = 0; i < constraints.Length; i++)
            {
                var c = definition.Constraints[i];
                constraints[i] = GaussianProcess.Fit(x, ok.Select(o => c.Slack(o.ConstraintValues![i])).ToList(), priorMean: 0);
            }
            var scored = ok.Where(o => o.ObjectiveValue is { } v && double.IsFinite(v)).ToList();
            if (scored.Count > 0)
                objective = GaussianProcess.Fit(scored.Select(o => new[] { definition.Parameter.Normalize(o.Value) }).ToList(),
                    scored.Select(o => definition.Objective.Score(o.ObjectiveValue!.Value)).ToList());
        }
        return new SearchSurrogate(definition, slack, objective, constraints);
    }

    /// <summary>P(all constraints hold) at a parameter value, from the slack GP (0.5 before any trial).</summary>
    public double ProbabilityFeasible(double value) =>
        Slack is null ? 0.5 : Acquisition.ProbabilityAtMost(Slack.Predict(Definition.Parameter.Normalize(value)), 0);

    /// <summary>Constraint <paramref name="index"/>'s mean and 95% band at a value, in the metric's units.</summary>
    public (double Mean, double Low, double High)? ConstraintBand(int index, double value)
    {
        if (Constraints[index] is not { } gp) return null;
        var c = Definition.Constraints[index];
        var p = gp.Predict(Definition.Parameter.Normalize(value));
        return (c.Unwarp(p.Mean), c.Unwarp(p.Mean - 1.96 * p.StandardDeviation), c.Unwarp(p.Mean + 1.96 * p.StandardDeviation));
    }

    /// <summary>The objective's mean and 95% band at a value, in the metric's units (low and high in value order).</summary>
    public (double Mean, double Low, double High)? ObjectiveBand(double value)
    {
        if (Objective is not { } gp) return null;
        var p = gp.Predict(Definition.Parameter.Normalize(value));
        double sign = Definition.Objective.Maximize ? 1 : -1;
        double a = sign * (p.Mean - 1.96 * p.StandardDeviation), b = sign * (p.Mean + 1.96 * p.StandardDeviation);
        return (sign * p.Mean, Math.Min(a, b), Math.Max(a, b));
    }
}
