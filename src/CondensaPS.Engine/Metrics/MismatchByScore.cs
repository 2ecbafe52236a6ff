using System.Globalization;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// Mismatches and flips by a per-example score (a memorisation score, an influence, a class frequency): the samples
/// split into score buckets with each bucket's mismatch and negative-flip rates, the correlation of the score with
/// mismatching and with negative flips, and the flipped samples with the highest scores. Samples without a score
/// (NaN) are left out and counted in <see cref="Unscored"/>. Answers "are the flips concentrated on the long tail?".
/// </summary>
public sealed class MismatchByScore
{
    /// <summary>The score's name ("memorization", "influence", "score").</summary>
    public string Score { get; init; } = "";
    /// <summary>How the buckets were made ("5 quantile buckets", "edges 0.1, 0.25, 0.5").</summary>
    public string Bucketing { get; init; } = "";
    public int Samples { get; init; }
    public int Scored { get; init; }
    public int Unscored => Samples - Scored;
    public ScoreBucket[] Buckets { get; init; } = Array.Empty<ScoreBucket>();
    /// <summary>The score against the mismatch indicator (1 where the labels differ), over the scored samples.</summary>
    public ScoreCorrelation MismatchCorrelation { get; init; } = ScoreCorrelation.None;
    /// <summary>The score against the negative-flip indicator (reference right, compressed wrong), over the scored samples.</summary>
    public ScoreCorrelation NegativeFlipCorrelation { get; init; } = ScoreCorrelation.None;
    /// <summary>
    /// The same over the scored samples the reference gets right only: whether the compressed model loses the
    /// high-score examples more often among those it could lose (long-tail examples are also the ones a reference gets
    /// wrong more often, which the unconditional figure mixes in).
    /// </summary>
    public ScoreCorrelation ReferenceRightCorrelation { get; init; } = ScoreCorrelation.None;
    /// <summary>The mismatching samples with the highest scores, highest first.</summary>
    public FlippedExample[] TopFlipped { get; init; } = Array.Empty<FlippedExample>();

    /// <summary>The buckets as aligned text: range, samples, mismatch and negative-flip rates, the flip rate where the reference is right, lift.</summary>
    public string BucketTable()
    {
        var rows = new List<string[]> { new[] { Score, "samples", "mismatches", "negative flips", "flips/ref right", "lift" } };
        foreach (var b in Buckets)
            rows.Add(new[]
            {
                b.Range, b.Samples.ToString("N0", CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{b.Mismatches} ({b.MismatchRate:P2})"),
                string.Create(CultureInfo.InvariantCulture, $"{b.NegativeFlips} ({b.NegativeFlipRate:P2})"),
                double.IsNaN(b.ReferenceRightFlipRate) ? "-" : b.ReferenceRightFlipRate.ToString("P2", CultureInfo.InvariantCulture),
                double.IsNaN(b.NegativeFlipLift) ? "-" : b.NegativeFlipLift.ToString("0.00", CultureInfo.InvariantCulture) + "x",
            });
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var r in rows)
            text.AppendLine(string.Join("  ", r.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
        return text.ToString();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Score} in {Buckets.Length} bucket(s): negative-flip rate {string.Join(" / ", Buckets.Select(b => b.NegativeFlipRate.ToString("P2", CultureInfo.InvariantCulture)))} from low to high; correlation with negative flips {NegativeFlipCorrelation.Pearson:0.###}");
}

/// <summary>One score bucket: scores in [Lower, Upper) (the last bucket includes Upper), its samples and their flips.</summary>
public sealed record ScoreBucket
{
    /// <summary>1 for the lowest scores.</summary>
    public int Bucket { get; init; }
    public double Lower { get; init; }
    public double Upper { get; init; }
    /// <summary>"[0.1, 0.25)".</summary>
    public string Range { get; init; } = "";
    public int Samples { get; init; }
    public double MeanScore { get; init; }
    public int Mismatches { get; init; }
    public double MismatchRate { get; init; }
    /// <summary>The standard error of the mismatch rate (one success and one failure added, as <see cref="LongTail.ProportionDifference"/>).</summary>
    public double MismatchRateError { get; init; }
    public int NegativeFlips { get; init; }
    /// <summary>Negative flips over the bucket's samples.</summary>
    public double NegativeFlipRate { get; init; }
    public double NegativeFlipRateError { get; init; }
    public int PositiveFlips { get; init; }
    /// <summary>Samples of the bucket the reference classifies correctly.</summary>
    public int ReferenceRight { get; init; }
    /// <summary>Negative flips over the samples the reference gets right (the chance of losing a right answer).</summary>
    public double ReferenceRightFlipRate { get; init; }
    /// <summary>The bucket's negative-flip rate over that of all scored samples (1: no concentration; NaN without flips).</summary>
    public double NegativeFlipLift { get; init; }
}

/// <summary>Pearson's (for a 0/1 indicator: the point-biserial) and Spearman's correlation over <see cref="Samples"/> pairs.</summary>
public sealed record ScoreCorrelation(double Pearson, double Spearman, int Samples)
{
    public static readonly ScoreCorrelation None = new(double.NaN, double.NaN, 0);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Pearson {Pearson:0.###}, Spearman {Spearman:0.###} (n = {Samples:N0})");
}

/// <summary>A sample whose label changed: its index, true label, both predictions, the kind of flip and its score.</summary>
public sealed record FlippedExample
{
    public int Index { get; init; }
    public long Label { get; init; }
    public long Reference { get; init; }
    public long Compressed { get; init; }
    /// <summary>negative (reference right, compressed wrong), positive (the other way round) or changed (both wrong).</summary>
    public string Flip { get; init; } = "";
    public double Score { get; init; }
}
