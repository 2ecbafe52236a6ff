using CondensaPS.Engine.Search;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>
/// The search algorithm on synthetic curves shaped like pruning's (accuracy holds, then falls fast past a ratio), with
/// deterministic noise: it must find the largest feasible grid value within the budget, and behave at the edges.
/// </summary>
public class ConstrainedBayesianSearchTests
{
    private static SearchDefinition Definition(double min = 0.7, double max = 0.99, double step = 0.01, double maxDrop = 1.0, ObjectiveMetric objective = ObjectiveMetric.CompactBytes, int maxTrials = 10) =>
        SearchDefinition.Create(new SearchParameter("ratio", min, max, step), new[] { new SearchConstraint(ConstraintMetric.AccuracyDrop, maxDrop) }, new SearchObjective(objective), maxTrials);

    [Fact]
    public void A_drop_of_exactly_the_bound_is_feasible_though_floating_point_overshoots_it()
    {
        // 976 and 966 right of 1,000: a drop of 10 samples, 1 point, computed as 1.0000000000000009.
        double drop = 100 * (976 / 1000.0 - 966 / 1000.0);
        Assert.True(drop > 1.0);
        Assert.True(Definition().IsFeasible(new[] { drop }));
        Assert.False(Definition().IsFeasible(new[] { 1.1 }));
    }

    /// <summary>Accuracy drop (points) of a pruning curve that crosses 1 point near <paramref name="knee"/>, plus noise fixed per value.</summary>
    private static double Drop(double ratio, double knee, double noise, int seed)
    {
        double bump = noise * Math.Sin(ratio * 977 + seed * 13.1);
        return 0.15 + 0.85 * Math.Exp((ratio - knee) / 0.015) + bump;
    }

    private static double Bytes(double ratio) => 240_000 * (1 - ratio) + 12_000;

    /// <summary>Runs the search to its end with <paramref name="workers"/> trials in flight; returns the trials in order.</summary>
    internal static List<SearchObservation> Run(SearchDefinition d, Func<double, SearchObservation> evaluate, int workers = 1)
    {
        var algorithm = new ConstrainedBayesianSearch();
        var finished = new List<SearchObservation>();
        var pending = new Queue<double>();
        while (finished.Count + pending.Count < d.MaxTrials)
        {
            var decision = algorithm.Propose(d, finished, pending.ToList(), Math.Min(workers - pending.Count, d.MaxTrials - finished.Count - pending.Count));
            foreach (var p in decision.Proposals) pending.Enqueue(p.Value);
            if (pending.Count == 0) break;
            // The oldest pending trial finishes first.
            if (decision.Proposals.Count == 0 || pending.Count >= workers) finished.Add(evaluate(pending.Dequeue()));
        }
        while (pending.Count > 0) finished.Add(evaluate(pending.Dequeue()));
        return finished;
    }

    private static double TrueBoundary(SearchDefinition d, Func<double, SearchObservation> evaluate) =>
        d.Parameter.Grid().Where(v => evaluate(v).IsFeasible(d)).Max();

    [Theory]
    [InlineData(0.95, 0.0, 0, 1)]
    [InlineData(0.93, 0.15, 1, 1)]
    [InlineData(0.96, 0.25, 2, 1)]
    [InlineData(0.81, 0.15, 3, 1)]
    [InlineData(0.95, 0.15, 4, 2)]
    [InlineData(0.975, 0.2, 5, 2)]
    public void Finds_the_largest_feasible_ratio_within_ten_trials(double knee, double noise, int seed, int workers)
    {
        var d = Definition();
        SearchObservation Evaluate(double r) => new(r, true, new[] { Drop(r, knee, noise, seed) }, Bytes(r));
        var trials = Run(d, Evaluate, workers);
        var truth = TrueBoundary(d, Evaluate);
        Assert.True(trials.Count <= 10);
        var best = trials.Where(t => t.IsFeasible(d)).MaxBy(t => -t.ObjectiveValue!.Value)!;
        Assert.True(Math.Abs(best.Value - truth) <= 0.01 + 1e-9, $"best {best.Value}, truth {truth}; trials {string.Join(", ", trials.Select(t => $"{t.Value}:{t.ConstraintValues![0]:0.00}"))}");
        Assert.Equal(trials.Count, trials.Select(t => t.Value).Distinct().Count());
        var boundary = new ConstrainedBayesianSearch().EstimateBoundary(d, trials);
        Assert.Equal(best.Value, boundary.LargestFeasibleTrial);
        Assert.InRange(boundary.Estimate!.Value, best.Value, boundary.SmallestInfeasibleTrialAbove ?? 0.99);
    }

    [Fact]
    public void A_feasible_maximum_ends_the_level_set_at_once()
    {
        var d = Definition();
        var trials = Run(d, r => new SearchObservation(r, true, new[] { 0.1 }, Bytes(r)));
        Assert.Equal(0.99, trials[0].Value);
        Assert.True(new ConstrainedBayesianSearch().EstimateBoundary(d, trials.Take(1).ToList()).Resolved);
        // What follows is the objective stage, which finds nothing better than the maximum.
        Assert.All(trials.Skip(1), t => Assert.True(t.Value < 0.99));
        Assert.Equal(0.99, trials.MinBy(t => t.ObjectiveValue)!.Value);
    }

    [Fact]
    public void A_constraint_nothing_meets_ends_with_no_boundary()
    {
        var d = Definition(maxDrop: -5);
        var trials = Run(d, r => new SearchObservation(r, true, new[] { 2.0 + r }, Bytes(r)));
        Assert.Contains(trials, t => t.Value == 0.7);
        Assert.DoesNotContain(trials, t => t.IsFeasible(d));
        Assert.True(trials.Count <= 10);
        var boundary = new ConstrainedBayesianSearch().EstimateBoundary(d, trials);
        Assert.Null(boundary.Estimate);
        var last = new ConstrainedBayesianSearch().Propose(d, trials, Array.Empty<double>(), 1);
        Assert.True(last.Finished);
        Assert.Contains("no value of ratio", last.FinishedBecause);
    }

    [Fact]
    public void Failed_trials_are_not_repeated_and_the_search_goes_on()
    {
        var d = Definition();
        SearchObservation Evaluate(double r) => r is > 0.835 and < 0.865
            ? new SearchObservation(r, false)
            : new SearchObservation(r, true, new[] { Drop(r, 0.95, 0.1, 7) }, Bytes(r));
        var trials = Run(d, Evaluate);
        Assert.Equal(trials.Count, trials.Select(t => t.Value).Distinct().Count());
        Assert.Contains(trials, t => t.IsFeasible(d) && t.Value >= 0.94);
    }

    [Fact]
    public void Proposals_are_deterministic()
    {
        var d = Definition();
        var finished = new List<SearchObservation>
        {
            new(0.99, true, new[] { 40.0 }, Bytes(0.99)),
            new(0.85, true, new[] { 0.3 }, Bytes(0.85)),
        };
        var a = new ConstrainedBayesianSearch().Propose(d, finished, new[] { 0.92 }, 2);
        var b = new ConstrainedBayesianSearch().Propose(d, finished, new[] { 0.92 }, 2);
        Assert.Equal(a.Proposals.Select(p => p.Value), b.Proposals.Select(p => p.Value));
        Assert.Equal(2, a.Proposals.Count);
        Assert.DoesNotContain(0.92, a.Proposals.Select(p => p.Value));
        Assert.All(a.Proposals, p => Assert.InRange(p.Value, 0.851, 0.989));
    }

    [Fact]
    public void The_objective_stage_looks_inside_the_feasible_range_for_a_non_monotone_objective()
    {
        // Throughput peaks at 0.8 while the boundary is near 0.95: stage 2 must look below the boundary.
        var d = Definition(objective: ObjectiveMetric.Throughput, maxTrials: 14);
        SearchObservation Evaluate(double r) => new(r, true, new[] { Drop(r, 0.95, 0.0, 0) }, 1000 - 20_000 * (r - 0.8) * (r - 0.8));
        var trials = Run(d, Evaluate);
        Assert.Contains(trials, t => t.Value is >= 0.77 and <= 0.83);
    }
}
