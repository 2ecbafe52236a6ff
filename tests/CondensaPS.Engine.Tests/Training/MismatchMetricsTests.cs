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
