using System.Globalization;
using CondensaPS.Engine.Search.Bayes;

namespace CondensaPS.Engine.Search;

/// <summary>
/// Condensa's constrained Bayesian optimisation over one ratio, in two stages, on the parameter's grid:
/// <list type="number">
/// <item><b>Level set.</b> Find the largest value that meets the constraints. The trials bracket it: the largest feasible
/// value seen and the smallest infeasible value above it. The first trial is the range's maximum (a feasible maximum
/// ends the stage at once), then its middle; after that, the grid point inside the bracket with the largest straddle
/// score (1.96σ − |μ|, Bryan et al. 2005) on the GP of the warped slack, whose prior mean is the level itself: between
/// distant trials that picks the middle (a bisection), and near the boundary it follows the fitted curve. The stage
/// ends when no grid point is left inside the bracket.</item>
/// <item><b>Objective.</b> Over every grid point not yet tried, the one with the largest expected improvement of the
/// objective times the probability of feasibility (Gardner et al. 2014), until that product is below a thousandth of
/// the objective's spread (nothing left to gain) or the budget is spent. Points above the bracket are candidates too:
/// the constraint is measured on data and noisy, so a value just above an infeasible trial may meet it, and the
/// probability of feasibility decides whether that is worth a trial.</item>
/// </list>
/// Several proposals at once (parallel workers) come from the "kriging believer": each pending point is added to the
/// GPs at its predicted mean, which shrinks the uncertainty there, before the next one is chosen; in the level-set
/// stage the next point also goes above the largest pending one inside the bracket (speculating that it is feasible,
/// as a parallel bisection does).
/// </summary>
public sealed class ConstrainedBayesianSearch : ISearchAlgorithm
{
    /// <summary>Stage 2 stops when the best EI × P(feasible) is below this fraction of the objective's spread.</summary>
    public const double ObjectiveStopFraction = 1e-3;

    public string Name => "constrained-bayesian";

    public SearchDecision Propose(SearchDefinition definition, IReadOnlyList<SearchObservation> finished, IReadOnlyList<double> pending, int count)
    {
        var parameter = definition.Parameter;
        double tolerance = parameter.Step / 2;
        bool Taken(double v) => finished.Any(o => Math.Abs(o.Value - v) < tolerance) || pending.Any(p => Math.Abs(p - v) < tolerance);
        var free = parameter.Grid().Where(v => !Taken(v)).ToList();
        if (free.Count == 0)
            return pending.Count > 0 ? SearchDecision.Wait : SearchDecision.Done("every grid value has been tried");

        var bracket = Bracket.Of(definition, finished);
        if (!bracket.Resolved(parameter))
        {
            // Optimistic about pending trials inside the bracket: the next one goes above the largest of them, as the
            // next step of a bisection would if it turns out feasible (what a parallel bisection speculates on).
            double low = pending.Where(p => p > bracket.Low && p < bracket.High).DefaultIfEmpty(bracket.Low).Max();
            var inside = free.Where(v => v > low + tolerance && v < bracket.High - tolerance).ToList();
            if (inside.Count > 0)
                return finished.Any(o => o.Succeeded)
                    ? LevelSet(definition, finished, pending, inside, count)
                    : InitialDesign(parameter, inside, pending, count);
            // Every value inside the bracket is pending (wait for it) or failed (the bracket is as narrow as it gets).
            if (pending.Count > 0) return SearchDecision.Wait;
        }
        if (bracket.LargestFeasible is null)
            return pending.Count > 0 ? SearchDecision.Wait : SearchDecision.Done($"no value of {parameter.Name} in the range meets the constraints");
        // Every untried grid value, above the bracket too: a measured constraint is noisy (seed 1 of bench/search had
        // 0.91 just outside the limit and 0.92 inside), and P(feasible) weighs each candidate, so values far above the
        // boundary score nothing while a near miss can still be worth a trial when the budget allows.
        return ObjectiveStage(definition, finished, pending, free, count);
    }

    public FeasibleBoundary EstimateBoundary(SearchDefinition definition, IReadOnlyList<SearchObservation> finished)
    {
        var parameter = definition.Parameter;
        var bracket = Bracket.Of(definition, finished);
        var surrogate = SearchSurrogate.Fit(definition, finished);
        if (bracket.LargestFeasible is not { } feasible || surrogate.Slack is not { } gp)
            return new FeasibleBoundary(parameter.Name, null, null, null, null, bracket.SmallestInfeasible, bracket.Resolved(parameter));
        double high = bracket.SmallestInfeasible ?? parameter.Maximum;
        double? estimate = null, lower = null, upper = null;
        const int points = 400;
        for (int k = 0; k <= points; k++)
        {
            double v = feasible + (high - feasible) * k / points;
            var p = gp.Predict(parameter.Normalize(v));
            if (p.Mean <= 0) estimate = v;
            if (p.Mean + 1.96 * p.StandardDeviation <= 0) lower = v;
            if (p.Mean - 1.96 * p.StandardDeviation <= 0) upper = v;
        }
        // The largest feasible trial is feasible whatever the GP's mean says there.
        estimate ??= feasible;
        lower ??= feasible;
        upper ??= feasible;
        return new FeasibleBoundary(parameter.Name, SearchParameter.Round(estimate.Value), SearchParameter.Round(lower.Value), SearchParameter.Round(upper.Value),
            feasible, bracket.SmallestInfeasible, bracket.Resolved(parameter));
    }

    /// <summary>The range's maximum first, then its middle, then the quarter points: what a bisection would ask.</summary>
    private static SearchDecision InitialDesign(SearchParameter parameter, IReadOnlyList<double> inside, IReadOnlyList<double> pending, int count)
    {
        var wanted = new[] { 1.0, 0.5, 0.75, 0.25 }.Select(f => parameter.Minimum + f * (parameter.Maximum - parameter.Minimum));
        var proposals = new List<SearchProposal>();
        var left = inside.ToList();
        foreach (var target in wanted)
        {
            if (proposals.Count >= count || left.Count == 0) break;
            var v = left.MinBy(g => Math.Abs(g - target));
            if (pending.Any(p => Math.Abs(p - v) < parameter.Step / 2)) continue;
            proposals.Add(new SearchProposal(v, SearchStage.Initial, "initial design"));
            left.Remove(v);
        }
        return proposals.Count > 0 ? new SearchDecision(proposals, false) : SearchDecision.Wait;
    }

    private static SearchDecision LevelSet(SearchDefinition definition, IReadOnlyList<SearchObservation> finished, IReadOnlyList<double> pending, List<double> inside, int count)
    {
        var parameter = definition.Parameter;
        var ok = finished.Where(o => o.Succeeded && o.ConstraintValues is not null).ToList();
        var x = ok.Select(o => new[] { parameter.Normalize(o.Value) }).ToList();
        var y = ok.Select(o => definition.Slack(o.ConstraintValues!)).ToList();
        var fitted = GaussianProcess.Fit(x, y, priorMean: 0);
        var gp = Believe(fitted, x, y, pending, parameter, 0);
        var proposals = new List<SearchProposal>();
        while (proposals.Count < count && inside.Count > 0)
        {
            var (best, score) = inside.Select(v => (v, Acquisition.Straddle(gp.Predict(parameter.Normalize(v)), 0))).MaxBy(t => t.Item2);
            var p = gp.Predict(parameter.Normalize(best));
            proposals.Add(new SearchProposal(best, SearchStage.LevelSet,
                string.Create(CultureInfo.InvariantCulture, $"straddle {score:0.###} (slack mean {p.Mean:0.###}, sd {p.StandardDeviation:0.###})")));
            inside.Remove(best);
            x.Add(new[] { parameter.Normalize(best) });
            y.Add(p.Mean);
            gp = GaussianProcess.WithParameters(x, y, fitted.Kind, fitted.Parameters, 0);
        }
        return new SearchDecision(proposals, false);
    }

    private static SearchDecision ObjectiveStage(SearchDefinition definition, IReadOnlyList<SearchObservation> finished, IReadOnlyList<double> pending, List<double> candidates, int count)
    {
        var parameter = definition.Parameter;
        var objective = definition.Objective;
        var scored = finished.Where(o => o.Succeeded && o.ConstraintValues is not null && o.ObjectiveValue is { } v && double.IsFinite(v)).ToList();
        var feasible = scored.Where(o => o.IsFeasible(definition)).ToList();
        if (feasible.Count == 0 || candidates.Count == 0)
            return pending.Count > 0 ? SearchDecision.Wait : SearchDecision.Done(feasible.Count == 0 ? "no feasible trial has an objective value" : "no grid value is left in the feasible range");
        double best = feasible.Max(o => objective.Score(o.ObjectiveValue!.Value));

        var x = scored.Select(o => new[] { parameter.Normalize(o.Value) }).ToList();
        var y = scored.Select(o => objective.Score(o.ObjectiveValue!.Value)).ToList();
        var fittedObjective = GaussianProcess.Fit(x, y);
        var surrogate = SearchSurrogate.Fit(definition, finished);
        var objectiveGp = Believe(fittedObjective, x, y, pending, parameter, null);
        double spread = fittedObjective.YScale;

        var proposals = new List<SearchProposal>();
        while (proposals.Count < count && candidates.Count > 0)
        {
            var (value, score) = candidates
                .Select(v => (v, Acquisition.ExpectedImprovement(objectiveGp.Predict(parameter.Normalize(v)), best) * surrogate.ProbabilityFeasible(v)))
                .MaxBy(t => t.Item2);
            if (score < ObjectiveStopFraction * spread)
            {
                if (proposals.Count > 0) break;
                return pending.Count > 0 ? SearchDecision.Wait
                    : SearchDecision.Done(string.Create(CultureInfo.InvariantCulture, $"the best expected improvement of {objective.Key} in the feasible range is {score:G3}, below {ObjectiveStopFraction:G2} of its spread"));
            }
            proposals.Add(new SearchProposal(value, SearchStage.Objective,
                string.Create(CultureInfo.InvariantCulture, $"expected improvement x P(feasible) {score:G4}")));
            candidates.Remove(value);
            x.Add(new[] { parameter.Normalize(value) });
            y.Add(objectiveGp.Predict(parameter.Normalize(value)).Mean);
            objectiveGp = GaussianProcess.WithParameters(x, y, fittedObjective.Kind, fittedObjective.Parameters);
        }
        return new SearchDecision(proposals, false);
    }

    /// <summary>The kriging believer: pending points join the data at the GP's predicted mean (hyperparameters kept).</summary>
    private static GaussianProcess Believe(GaussianProcess fitted, List<double[]> x, List<double> y, IReadOnlyList<double> pending, SearchParameter parameter, double? priorMean)
    {
        if (pending.Count == 0) return fitted;
        foreach (var v in pending)
        {
            x.Add(new[] { parameter.Normalize(v) });
            y.Add(fitted.Predict(parameter.Normalize(v)).Mean);
        }
        return GaussianProcess.WithParameters(x, y, fitted.Kind, fitted.Parameters, priorMean);
    }

    /// <summary>The trials around the boundary: the largest feasible value, and the smallest infeasible value above it.</summary>
    private sealed record Bracket(double? LargestFeasible, double? SmallestInfeasible, double Low, double High)
    {
        public static Bracket Of(SearchDefinition definition, IReadOnlyList<SearchObservation> finished)
        {
            var parameter = definition.Parameter;
            var ok = finished.Where(o => o.Succeeded && o.ConstraintValues is not null).ToList();
            double? feasible = ok.Where(o => o.IsFeasible(definition)).Select(o => (double?)o.Value).Max();
            double? infeasible = ok.Where(o => !o.IsFeasible(definition) && o.Value > (feasible ?? double.NegativeInfinity)).Select(o => (double?)o.Value).Min();
            return new Bracket(feasible, infeasible, feasible ?? parameter.Minimum - parameter.Step, infeasible ?? parameter.Maximum + parameter.Step);
        }

        /// <summary>No grid value lies strictly between the bracket's ends.</summary>
        public bool Resolved(SearchParameter parameter)
        {
            double tolerance = parameter.Step / 2;
            return !parameter.Grid().Any(v => v > Low + tolerance && v < High - tolerance);
        }
    }
}
