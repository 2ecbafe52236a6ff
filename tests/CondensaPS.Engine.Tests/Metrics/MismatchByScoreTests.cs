using CondensaPS.Engine.Metrics;

namespace CondensaPS.Engine.Tests.Metrics;

/// <summary>Mismatches and flips by score bucket, on predictions and scores made up by hand.</summary>
public class MismatchByScoreTests
{
    // sample:         0    1    2    3    4    5    6    7    8    9
    private static readonly long[] Labels = { 0, 1, 2, 1, 0, 2, 1, 0, 2, 2 };
    private static readonly long[] Ref =    { 0, 1, 2, 0, 0, 2, 1, 1, 1, 2 };
    private static readonly long[] Cmp =    { 0, 2, 2, 1, 1, 2, 1, 0, 2, 0 };
    private static readonly double[] Scores = { 0.0, 0.9, 0.1, 0.5, 0.8, 0.2, 0.0, 0.4, double.NaN, 0.7 };
    // Mismatches: 1 (negative), 3 (positive), 4 (negative), 7 (positive), 8 (positive, unscored), 9 (negative).

    [Fact]
    public void Buckets_at_fixed_edges_count_mismatches_and_flips()
    {
        var r = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores, "memorization", ScoreBucketing.At(new[] { 0.25, 0.6 }));
        Assert.Equal(("memorization", 10, 9, 1), (r.Score, r.Samples, r.Scored, r.Unscored));
        Assert.Equal("edges 0.25, 0.6", r.Bucketing);
        Assert.Equal(3, r.Buckets.Length);
        // Below 0.25: samples 0, 2, 5, 6 (no mismatch). [0.25, 0.6): 3, 7 (both positive flips). 0.6 and up: 1, 4, 9 (all negative).
        var (low, mid, high) = (r.Buckets[0], r.Buckets[1], r.Buckets[2]);
        Assert.Equal((1, 4, 0, 0, 4), (low.Bucket, low.Samples, low.Mismatches, low.NegativeFlips, low.ReferenceRight));
        Assert.Equal("(-inf, 0.25)", low.Range);
        Assert.True(double.IsNegativeInfinity(low.Lower));
        Assert.Equal(0.075, low.MeanScore, 12);
        Assert.Equal((2, 2, 0, 2, 0), (mid.Samples, mid.Mismatches, mid.NegativeFlips, mid.PositiveFlips, mid.ReferenceRight));
        Assert.Equal("[0.25, 0.6)", mid.Range);
        Assert.True(double.IsNaN(mid.ReferenceRightFlipRate));
        Assert.Equal((3, 3, 3, 3), (high.Samples, high.Mismatches, high.NegativeFlips, high.ReferenceRight));
        Assert.Equal("[0.6, inf)", high.Range);
        Assert.Equal(1.0, high.NegativeFlipRate, 12);
        Assert.Equal(1.0, high.ReferenceRightFlipRate, 12);
        // Overall negative-flip rate over the 9 scored samples: 3/9, so the top bucket's lift is 3.
        Assert.Equal(3.0, high.NegativeFlipLift, 12);
        Assert.Equal(0.0, low.NegativeFlipLift, 12);
        // Rate errors: one success and one failure added: p~ = (3 + 1) / 5, sqrt(p~ (1 - p~) / 5).
        Assert.Equal(Math.Sqrt(0.8 * 0.2 / 5), high.NegativeFlipRateError, 12);
        Assert.Equal(Math.Sqrt((1.0 / 6) * (5.0 / 6) / 6), low.MismatchRateError, 12);
    }

    [Fact]
    public void Correlations_are_over_the_scored_samples()
    {
        var r = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores, "s", ScoreBucketing.Quantiles(3));
        var scored = new[] { 0, 1, 2, 3, 4, 5, 6, 7, 9 };
        var x = scored.Select(i => Scores[i]).ToArray();
        var negative = scored.Select(i => i is 1 or 4 or 9 ? 1.0 : 0.0).ToArray();
        var mismatch = scored.Select(i => i is 1 or 3 or 4 or 7 or 9 ? 1.0 : 0.0).ToArray();
        Assert.Equal(9, r.NegativeFlipCorrelation.Samples);
        Assert.Equal(Correlation.Pearson(x, negative), r.NegativeFlipCorrelation.Pearson, 12);
        Assert.Equal(Correlation.Spearman(x, negative), r.NegativeFlipCorrelation.Spearman, 12);
        Assert.Equal(Correlation.Pearson(x, mismatch), r.MismatchCorrelation.Pearson, 12);
        // Among the samples the reference gets right (0, 1, 2, 4, 5, 6, 9): flips at 1, 4, 9, the three highest scores.
        var right = new[] { 0, 1, 2, 4, 5, 6, 9 };
        Assert.Equal(7, r.ReferenceRightCorrelation.Samples);
        Assert.Equal(Correlation.Pearson(right.Select(i => Scores[i]).ToArray(), right.Select(i => i is 1 or 4 or 9 ? 1.0 : 0.0).ToArray()),
            r.ReferenceRightCorrelation.Pearson, 12);
        Assert.True(r.NegativeFlipCorrelation.Pearson > 0.6);
    }

    [Fact]
    public void Quantile_buckets_keep_tied_scores_together()
    {
        // Sorted scored values: 0 0 0.1 0.2 0.4 0.5 0.7 0.8 0.9; 3 buckets: edges at positions 3 and 6 -> 0.2 and 0.7.
        var r = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores, "s", ScoreBucketing.Quantiles(3));
        Assert.Equal(new[] { 3, 3, 3 }, r.Buckets.Select(b => b.Samples));
        Assert.Equal(new[] { 0.0, 0.2, 0.7 }, r.Buckets.Select(b => b.Lower));
        Assert.Equal(0.9, r.Buckets[2].Upper);
        Assert.Equal("[0.7, 0.9]", r.Buckets[2].Range);
        // Five buckets of scores that are mostly tied: the zeros may not be split.
        var tied = new double[] { 0, 0, 0, 0, 0, 0, 0, 0.5, 0.6, 0.9 };
        var t = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, tied, "s", ScoreBucketing.Quantiles(5));
        Assert.Equal(new[] { 8, 2 }, t.Buckets.Select(b => b.Samples));
        Assert.Equal(10, t.Buckets.Sum(b => b.Samples));
    }

    [Fact]
    public void Top_flipped_lists_the_highest_scores_first_and_names_the_flip()
    {
        var r = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores, "s", ScoreBucketing.Quantiles(2), top: 4);
        Assert.Equal(new[] { 1, 4, 9, 3 }, r.TopFlipped.Select(f => f.Index));
        Assert.Equal(new[] { "negative", "negative", "negative", "positive" }, r.TopFlipped.Select(f => f.Flip));
        Assert.Equal((1L, 1L, 2L, 0.9), (r.TopFlipped[0].Label, r.TopFlipped[0].Reference, r.TopFlipped[0].Compressed, r.TopFlipped[0].Score));
        // The unscored mismatch comes last; a mismatch where both are wrong is "changed".
        var all = MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores, "s", ScoreBucketing.Quantiles(2), top: 100);
        Assert.Equal(6, all.TopFlipped.Length);
        Assert.Equal(8, all.TopFlipped[^1].Index);
        var changed = MismatchByScoreMetrics.Compute(new long[] { 0 }, new long[] { 1 }, new long[] { 2 }, new[] { 0.3 }, "s", ScoreBucketing.Quantiles(1));
        Assert.Equal("changed", changed.TopFlipped.Single().Flip);
    }

    [Fact]
    public void A_score_count_that_is_not_the_sample_count_is_an_error()
    {
        var e = Assert.Throws<EngineException>(() => MismatchByScoreMetrics.Compute(Labels, Ref, Cmp, Scores.Take(9).ToArray(), "s", ScoreBucketing.Quantiles(5)));
        Assert.Equal("ScoreCountMismatch", e.ErrorId);
        Assert.Contains("9 score(s) for 10 samples", e.Message);
    }

    [Theory]
    [InlineData(new double[] { 0.5, 0.5 })]
    [InlineData(new double[] { 0.5, 0.2 })]
    [InlineData(new double[] { })]
    [InlineData(new double[] { double.NaN })]
    public void Bucket_edges_must_increase(double[] edges) =>
        Assert.Equal("ScoreBucketEdgesInvalid", Assert.Throws<EngineException>(() => ScoreBucketing.At(edges)).ErrorId);

    [Fact]
    public void Bucket_count_must_be_positive() =>
        Assert.Equal("ScoreBucketsOutOfRange", Assert.Throws<EngineException>(() => ScoreBucketing.Quantiles(0)).ErrorId);

    [Fact]
    public void Pearson_and_Spearman_on_known_values()
    {
        Assert.Equal(1.0, Correlation.Pearson(new double[] { 1, 2, 3 }, new double[] { 2, 4, 6 }), 12);
        Assert.Equal(-1.0, Correlation.Pearson(new double[] { 1, 2, 3 }, new double[] { 3, 2, 1 }), 12);
        // x = 1, 2, 3, 4; y = 1, 3, 2, 4: r = 0.8.
        Assert.Equal(0.8, Correlation.Pearson(new double[] { 1, 2, 3, 4 }, new double[] { 1, 3, 2, 4 }), 12);
        // Monotone but not linear: Spearman 1.
        Assert.Equal(1.0, Correlation.Spearman(new double[] { 1, 2, 3, 4 }, new double[] { 1, 10, 100, 1000 }), 12);
        Assert.Equal(new[] { 1.5, 1.5, 3, 4.5, 4.5 }, Correlation.Ranks(new double[] { 7, 7, 8, 9, 9 }));
        Assert.True(double.IsNaN(Correlation.Pearson(new double[] { 1, 1, 1 }, new double[] { 1, 2, 3 })));
        Assert.True(double.IsNaN(Correlation.Pearson(new double[] { 1 }, new double[] { 1 })));
    }
}
