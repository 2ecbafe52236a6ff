using System.Globalization;

namespace CondensaPS.Engine.Metrics;

/// <summary>The figures of <see cref="MismatchByScore"/> from labels, both models' predictions and one score per sample (a pure function).</summary>
public static class MismatchByScoreMetrics
{
    public const int DefaultTop = 10;

    public static MismatchByScore Compute(IReadOnlyList<long> labels, IReadOnlyList<long> reference, IReadOnlyList<long> compressed, IReadOnlyList<double> scores,
        string scoreName, ScoreBucketing bucketing, int top = DefaultTop)
    {
        int n = labels.Count;
        if (reference.Count != n || compressed.Count != n)
            throw new ArgumentException($"labels ({n}), reference ({reference.Count}) and compressed ({compressed.Count}) predictions differ in length.");
        if (scores.Count != n)
            throw new EngineException("ScoreCountMismatch", EngineErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Got {scores.Count:N0} score(s) for {n:N0} samples: give one score per sample, in the data set's order."), scores.Count);
        if (top < 0) throw new ArgumentOutOfRangeException(nameof(top), top, "not negative");

        var scored = Enumerable.Range(0, n).Where(i => double.IsFinite(scores[i])).ToArray();
        var values = scored.Select(i => scores[i]).ToArray();
        var edges = bucketing.InteriorEdges(values);
        int bucketCount = edges.Length + 1;
        var members = Enumerable.Range(0, bucketCount).Select(_ => new List<int>()).ToArray();
        foreach (int i in scored) members[ScoreBucketing.BucketOf(scores[i], edges)].Add(i);

        bool Mismatch(int i) => reference[i] != compressed[i];
        bool RefRight(int i) => reference[i] == labels[i];
        bool Negative(int i) => RefRight(i) && compressed[i] != labels[i];
        double overallRate = scored.Length == 0 ? double.NaN : (double)scored.Count(Negative) / scored.Length;

        var buckets = new List<ScoreBucket>();
        for (int b = 0; b < bucketCount; b++)
        {
            var m = members[b];
            // Quantile buckets span the observed scores; fixed edges leave the outer buckets open.
            double lower = b > 0 ? edges[b - 1] : bucketing.Edges is null ? (values.Length == 0 ? double.NaN : values.Min()) : double.NegativeInfinity;
            double upper = b < edges.Length ? edges[b] : bucketing.Edges is null ? (values.Length == 0 ? double.NaN : values.Max()) : double.PositiveInfinity;
            if (bucketing.Edges is null && m.Count == 0) continue;
            int mismatches = m.Count(Mismatch), negative = m.Count(Negative), refRight = m.Count(RefRight);
            int positive = m.Count(i => Mismatch(i) && !RefRight(i) && compressed[i] == labels[i]);
            double rate = m.Count == 0 ? double.NaN : (double)negative / m.Count;
            buckets.Add(new ScoreBucket
            {
                Bucket = buckets.Count + 1,
                Lower = lower,
                Upper = upper,
                Range = RangeText(lower, upper, last: b == edges.Length),
                Samples = m.Count,
                MeanScore = m.Count == 0 ? double.NaN : m.Average(i => scores[i]),
                Mismatches = mismatches,
                MismatchRate = m.Count == 0 ? double.NaN : (double)mismatches / m.Count,
                MismatchRateError = RateError(mismatches, m.Count),
                NegativeFlips = negative,
                NegativeFlipRate = rate,
                NegativeFlipRateError = RateError(negative, m.Count),
                PositiveFlips = positive,
                ReferenceRight = refRight,
                ReferenceRightFlipRate = refRight == 0 ? double.NaN : (double)negative / refRight,
                NegativeFlipLift = overallRate > 0 ? rate / overallRate : double.NaN,
            });
        }

        ScoreCorrelation Against(IReadOnlyList<int> samples, Func<int, bool> indicator)
        {
            var x = samples.Select(i => scores[i]).ToArray();
            var y = samples.Select(i => indicator(i) ? 1.0 : 0.0).ToArray();
            return new ScoreCorrelation(Correlation.Pearson(x, y), Correlation.Spearman(x, y), samples.Count);
        }
        var referenceRight = scored.Where(RefRight).ToArray();
        var flipped = Enumerable.Range(0, n).Where(Mismatch)
            .OrderByDescending(i => double.IsFinite(scores[i]) ? scores[i] : double.NegativeInfinity).ThenBy(i => i)
            .Take(top)
            .Select(i => new FlippedExample
            {
                Index = i,
                Label = labels[i],
                Reference = reference[i],
                Compressed = compressed[i],
                Flip = Negative(i) ? "negative" : compressed[i] == labels[i] ? "positive" : "changed",
                Score = scores[i],
            }).ToArray();
        return new MismatchByScore
        {
            Score = scoreName,
            Bucketing = bucketing.ToString(),
            Samples = n,
            Scored = scored.Length,
            Buckets = buckets.ToArray(),
            MismatchCorrelation = Against(scored, Mismatch),
            NegativeFlipCorrelation = Against(scored, Negative),
            ReferenceRightCorrelation = Against(referenceRight, Negative),
            TopFlipped = flipped,
        };
    }

    /// <summary>sqrt(p~ (1 - p~) / (n + 2)) with p~ = (x + 1) / (n + 2); NaN for an empty bucket.</summary>
    private static double RateError(int count, int samples)
    {
        if (samples == 0) return double.NaN;
        double p = (count + 1.0) / (samples + 2.0);
        return Math.Sqrt(p * (1 - p) / (samples + 2.0));
    }

    private static string RangeText(double lower, double upper, bool last)
    {
        string Lo(double v) => double.IsNegativeInfinity(v) ? "(-inf" : "[" + ScoreBucketing.F(v);
        string Hi(double v) => double.IsPositiveInfinity(v) ? "inf)" : ScoreBucketing.F(v) + (last ? "]" : ")");
        return $"{Lo(lower)}, {Hi(upper)}";
    }
}
