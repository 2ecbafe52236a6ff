using CondensaPS.Engine.LongTail;

namespace CondensaPS.Engine.Tests.LongTail;

/// <summary>
/// Feldman and Zhang's estimates on cases worked out by hand: 4 subset models, 3 training and 2 test examples, every
/// figure below computed on paper (the comments show the groups and counts).
/// </summary>
public class MemorizationEstimatorTests
{
    private static readonly long[] TrainingLabels = { 3, 7, 1 };
    private static readonly long[] TestLabels = { 0, 9 };

    // Included (model x example):      correct on training:   correct on test:
    //   m0: 1 1 0                         1 1 0                  1 0
    //   m1: 1 0 1                         1 0 1                  1 1
    //   m2: 0 1 1                         0 1 1                  0 1
    //   m3: 0 0 1                         0 1 1                  0 0
    private static IReadOnlyList<SubsetOutcome> Outcomes() => new[]
    {
        new SubsetOutcome(0, B(1, 1, 0), B(1, 1, 0), B(1, 0)),
        new SubsetOutcome(1, B(1, 0, 1), B(1, 0, 1), B(1, 1)),
        new SubsetOutcome(2, B(0, 1, 1), B(0, 1, 1), B(0, 1)),
        new SubsetOutcome(3, B(0, 0, 1), B(0, 1, 1), B(0, 0)),
    };

    private static bool[] B(params int[] bits) => bits.Select(b => b == 1).ToArray();

    /// <summary>Agresti-Caffo by hand: p~ = (x + 1) / (n + 2), variance p~ (1 - p~) / (n + 2) per group.</summary>
    private static double Se(int x1, int n1, int x2, int n2)
    {
        double p1 = (x1 + 1.0) / (n1 + 2), p2 = (x2 + 1.0) / (n2 + 2);
        return Math.Sqrt(p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2));
    }

    [Fact]
    public void Memorization_is_accuracy_in_minus_accuracy_out_with_its_standard_error()
    {
        var e = MemorizationEstimator.Estimate(Outcomes(), TrainingLabels, TestLabels, top: 3);
        Assert.Equal(4, e.Models);
        // Example 0: in {m0, m1} both right (2/2), out {m2, m3} both wrong (0/2): 1 - 0.
        var s0 = e.Training[0];
        Assert.Equal((0, 3L, 2, 2), (s0.Index, s0.Label, s0.ModelsIn, s0.ModelsOut));
        Assert.Equal(1.0, s0.Memorization, 12);
        Assert.Equal(1.0, s0.AccuracyIn, 12);
        Assert.Equal(0.0, s0.AccuracyOut, 12);
        Assert.Equal(Se(2, 2, 0, 2), s0.StandardError, 12);
        Assert.Equal(0.306186217847897, s0.StandardError, 12); // sqrt(2 * 0.75 * 0.25 / 4)
        // Example 1: in {m0, m2} 2/2, out {m1, m3} 1/2: 1 - 0.5.
        Assert.Equal(0.5, e.Training[1].Memorization, 12);
        Assert.Equal(0.5, e.Training[1].AccuracyOut, 12);
        Assert.Equal(Se(2, 2, 1, 2), e.Training[1].StandardError, 12);
        // Example 2: in {m1, m2, m3} 3/3, out {m0} 0/1: 1 - 0.
        Assert.Equal((3, 1), (e.Training[2].ModelsIn, e.Training[2].ModelsOut));
        Assert.Equal(1.0, e.Training[2].Memorization, 12);
        Assert.Equal(Se(3, 3, 0, 1), e.Training[2].StandardError, 12);
        Assert.Equal(0.325690150410, e.Training[2].StandardError, 9);
    }

    [Fact]
    public void Influences_are_test_accuracy_in_minus_out_and_the_largest_come_first()
    {
        var e = MemorizationEstimator.Estimate(Outcomes(), TrainingLabels, TestLabels, top: 3);
        // Test 0 is right for m0, m1. Example 0 (in m0 m1 / out m2 m3): 2/2 - 0/2 = 1; example 1 (in m0 m2 / out m1 m3):
        // 1/2 - 1/2 = 0; example 2 (in m1 m2 m3 / out m0): 1/3 - 1/1 = -2/3.
        var t0 = e.Test[0];
        Assert.Equal((0, 0L, 0.5, 4), (t0.Index, t0.Label, t0.Accuracy, t0.Models));
        Assert.Equal(new[] { 0, 1, 2 }, t0.TopInfluences.Select(i => i.TrainingIndex));
        Assert.Equal(new[] { 1.0, 0.0, -2.0 / 3 }, t0.TopInfluences.Select(i => i.Value), new Tolerance(1e-12));
        Assert.Equal(new long[] { 3, 7, 1 }, t0.TopInfluences.Select(i => i.TrainingLabel));
        Assert.Equal(Se(2, 2, 0, 2), t0.TopInfluences[0].StandardError, 12);
        Assert.Equal(Se(1, 3, 1, 1), t0.TopInfluences[2].StandardError, 12);
        Assert.Equal((1.0, 0), (t0.Influence, t0.InfluentialExample));
        // Test 1 is right for m1, m2. Example 2: 2/3 - 0/1 = 2/3; examples 0 and 1: 1/2 - 1/2 = 0 (a tie: lower index first).
        var t1 = e.Test[1];
        Assert.Equal(new[] { 2, 0, 1 }, t1.TopInfluences.Select(i => i.TrainingIndex));
        Assert.Equal(new[] { 2.0 / 3, 0, 0 }, t1.TopInfluences.Select(i => i.Value), new Tolerance(1e-12));
        Assert.Equal(0.349391004569, t1.InfluenceStandardError, 9); // sqrt(0.6 * 0.4 / 5 + (1/3)(2/3) / 3)
        Assert.Equal(2, t1.InfluentialExample);
    }

    [Fact]
    public void Top_keeps_only_the_largest_influences()
    {
        var e = MemorizationEstimator.Estimate(Outcomes(), TrainingLabels, TestLabels, top: 1);
        Assert.Equal(new[] { 0 }, e.Test[0].TopInfluences.Select(i => i.TrainingIndex));
        Assert.Equal(new[] { 2 }, e.Test[1].TopInfluences.Select(i => i.TrainingIndex));
    }

    [Fact]
    public void An_example_every_model_trained_on_has_no_score_and_no_influence()
    {
        var outcomes = new[]
        {
            new SubsetOutcome(0, B(1, 1), B(1, 0), B(1)),
            new SubsetOutcome(1, B(1, 0), B(1, 1), B(0)),
        };
        var e = MemorizationEstimator.Estimate(outcomes, new long[] { 0, 1 }, new long[] { 2 }, top: 5);
        Assert.True(double.IsNaN(e.Training[0].Memorization));
        Assert.True(double.IsNaN(e.Training[0].StandardError));
        Assert.True(double.IsNaN(e.Training[0].AccuracyOut));
        Assert.Equal((2, 0), (e.Training[0].ModelsIn, e.Training[0].ModelsOut));
        // Example 1: in {m0} wrong (0/1), out {m1} right (1/1): memorisation -1.
        Assert.Equal(-1.0, e.Training[1].Memorization, 12);
        // Only example 1 can have an influence: in {m0} right on the test example, out {m1} wrong: 1.
        Assert.Equal(new[] { 1 }, e.Test[0].TopInfluences.Select(i => i.TrainingIndex));
        Assert.Equal(1.0, e.Test[0].Influence, 12);
    }

    [Fact]
    public void Without_test_data_there_are_only_training_scores()
    {
        var outcomes = Outcomes().Select(o => o with { TestCorrect = Array.Empty<bool>() }).ToList();
        var e = MemorizationEstimator.Estimate(outcomes, TrainingLabels, null, top: 5);
        Assert.Equal(3, e.Training.Count);
        Assert.Empty(e.Test);
    }

    [Fact]
    public void Split_half_correlation_needs_examples_defined_in_both_halves()
    {
        // Even models m0, m2 and odd m1, m3: only example 0 has a model in and out in both halves, so no correlation.
        Assert.True(double.IsNaN(MemorizationEstimator.Estimate(Outcomes(), TrainingLabels, TestLabels, 3).SplitHalfCorrelation));
    }

    [Fact]
    public void Models_that_learn_only_what_they_saw_score_1_and_models_that_know_everything_score_0()
    {
        // 200 subsets of 40 examples at 0.5. Examples 0-19: a model is right iff it trained on it (memorised, score 1);
        // examples 20-39: always right (typical, score 0). The estimate recovers both exactly, and the two halves agree.
        const int n = 40, k = 200;
        var outcomes = Enumerable.Range(0, k).Select(m =>
        {
            var included = SubsetPlan.Draw(n, 0.5, seed: 9, m);
            var correct = Enumerable.Range(0, n).Select(i => i >= 20 || included[i]).ToArray();
            return new SubsetOutcome(m, included, correct, Array.Empty<bool>());
        }).ToList();
        var e = MemorizationEstimator.Estimate(outcomes, new long[n], null, top: 1);
        Assert.All(e.Training.Take(20), s => Assert.Equal(1.0, s.Memorization, 12));
        Assert.All(e.Training.Skip(20), s => Assert.Equal(0.0, s.Memorization, 12));
        Assert.All(e.Training, s => Assert.InRange(s.StandardError, 0.01, 0.2));
        Assert.Equal(1.0, e.SplitHalfCorrelation, 9);
    }

    [Fact]
    public void Fewer_than_two_finished_models_is_an_error()
    {
        var e = Assert.Throws<EngineException>(() => MemorizationEstimator.Estimate(Outcomes().Take(1).ToList(), TrainingLabels, TestLabels, 3));
        Assert.Equal("TooFewSubsetModels", e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidOperation, e.Kind);
    }

    [Fact]
    public void Outcomes_of_the_wrong_size_are_refused()
    {
        var bad = Outcomes().Select((o, i) => i == 2 ? o with { TrainingCorrect = B(1, 1) } : o).ToList();
        Assert.Throws<ArgumentException>(() => MemorizationEstimator.Estimate(bad, TrainingLabels, TestLabels, 3));
    }

    [Fact]
    public void Proportion_difference_is_undefined_for_an_empty_group()
    {
        Assert.False(ProportionDifference.Of(1, 1, 0, 0).IsDefined);
        var d = ProportionDifference.Of(3, 4, 1, 4);
        Assert.Equal(0.5, d.Estimate, 12);
        Assert.Equal(Math.Sqrt(2 * (4.0 / 6) * (2.0 / 6) / 6), d.StandardError, 12);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        private readonly double _epsilon;
        public Tolerance(double epsilon) => _epsilon = epsilon;
        public bool Equals(double x, double y) => Math.Abs(x - y) <= _epsilon;
        public int GetHashCode(double obj) => 0;
    }
}
