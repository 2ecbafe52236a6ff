using CondensaPS.Engine.Metrics;

namespace CondensaPS.Engine.Tests.Training;

public class MismatchMetricsTests
{
    [Fact]
    public void Metrics_on_constructed_predictions()
    {
        long[] labels = { 0, 1, 2, 1, 0, 2, 1, 0 };
        long[] refP = { 0, 1, 2, 0, 0, 2, 1, 1 };
        long[] cmpP = { 0, 2, 2, 1, 1, 2, 1, 1 };
        var r = MismatchMetrics.Compute(labels, refP, cmpP, 3);
        Assert.Equal(8, r.Samples);
        Assert.Equal(new[] { 1, 3, 4 }, r.MismatchIndices);
        Assert.Equal(3, r.Mismatches);
        Assert.Equal(3 / 8.0, r.MismatchRate);
        Assert.Equal(2, r.MismatchesReferenceRight); // samples 1 and 4; at 3 the reference is wrong
        Assert.Equal(6 / 8.0, r.ReferenceAccuracy);
        Assert.Equal(5 / 8.0, r.CompressedAccuracy);
        Assert.Equal(new[] { 1 / 3.0, 2 / 3.0, 0.0 }, r.ClassMismatchRates);
        Assert.Equal(new long[] { 1, 2, 0 }, r.Confusion[0]);
        Assert.Equal(new long[] { 0, 2, 1 }, r.Confusion[1]);
        Assert.Equal(new long[] { 0, 0, 2 }, r.Confusion[2]);
        Assert.Contains("ref\\cmp", r.ConfusionTable());
    }

    [Fact]
    public void Flip_figures_on_constructed_predictions()
    {
        // sample:     0  1  2  3  4  5  6  7  8  9
        long[] labels = { 0, 1, 2, 1, 0, 2, 1, 0, 2, 2 };
        long[] refP =   { 0, 1, 2, 0, 0, 2, 1, 1, 1, 0 };
        long[] cmpP =   { 0, 2, 2, 1, 1, 2, 1, 0, 2, 1 };
        // Mismatches at 1, 3, 4, 7, 8, 9. Negative flips (reference right, compressed wrong): 1 (class 1), 4 (class 0).
        // Positive flips (reference wrong, compressed right): 3 (class 1), 7 (class 0), 8 (class 2). At 9 both are wrong.
        var r = MismatchMetrics.Compute(labels, refP, cmpP, 3);
        Assert.Equal(6, r.Mismatches);
        Assert.Equal(2, r.NegativeFlips);
        Assert.Equal(r.MismatchesReferenceRight, r.NegativeFlips);
        Assert.Equal(0.2, r.NegativeFlipRate, 12);
        Assert.Equal(3, r.PositiveFlips);
        Assert.Equal(0.3, r.PositiveFlipRate, 12);
        // Compressed errors: samples 1, 4, 9 -> error rate 0.3; NFI = 0.2 / 0.3.
        Assert.Equal(0.7, r.CompressedAccuracy, 12);
        Assert.Equal(2 / 3.0, r.NegativeFlipImpact, 12);
        Assert.Equal(new[] { 0, 1, 2 }, r.PerClass.Select(c => c.Class));
        Assert.Equal(new[] { 3, 3, 4 }, r.PerClass.Select(c => c.Samples));
        Assert.Equal(new[] { 2, 2, 2 }, r.PerClass.Select(c => c.Mismatches));
        Assert.Equal(new[] { 1, 1, 0 }, r.PerClass.Select(c => c.NegativeFlips));
        Assert.Equal(new[] { 1, 1, 1 }, r.PerClass.Select(c => c.PositiveFlips));
        Assert.Equal(1 / 3.0, r.PerClass[0].NegativeFlipRate, 12);
        Assert.Equal(0.25, r.PerClass[2].PositiveFlipRate, 12);
        Assert.Equal(0.5, r.PerClass[2].MismatchRate, 12);
        Assert.Equal(r.ClassMismatchRates, r.PerClass.Select(c => c.MismatchRate));
    }

    [Fact]
    public void A_compressed_model_without_errors_has_no_negative_flip_impact()
    {
        long[] labels = { 0, 1, 1 };
        var r = MismatchMetrics.Compute(labels, new long[] { 0, 0, 1 }, labels, 2);
        Assert.Equal(0, r.NegativeFlips);
        Assert.Equal(1, r.PositiveFlips);
        Assert.Equal(0.0, r.NegativeFlipImpact);
    }

    [Fact]
    public void Identical_predictions_have_no_mismatch_and_lengths_must_agree()
    {
        long[] p = { 3, 1, 4 };
        var r = MismatchMetrics.Compute(new long[] { 3, 1, 5 }, p, p, 10);
        Assert.Equal(0, r.Mismatches);
        Assert.Empty(r.MismatchIndices);
        Assert.Equal(10, r.Confusion.Length);
        Assert.Throws<ArgumentException>(() => MismatchMetrics.Compute(new long[] { 1 }, p, p, 10));
    }
}
