using System.Globalization;
using System.Text;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// How often a compressed model's predicted label differs from its reference's on a data set: the figures of the
/// label-preserving claim, as a plain object (a Pester Should can assert on each property). The flip figures are
/// those of the model-update literature (Yan et al. 2021, positive-congruent training): a negative flip is a sample
/// the reference gets right and the compressed model gets wrong, a positive flip the other way round.
/// </summary>
public sealed class MismatchReport
{
    public string Reference { get; init; } = "";
    public string Compressed { get; init; } = "";
    public string Data { get; init; } = "";
    public int Samples { get; init; }
    /// <summary>Samples where the two models predict different labels.</summary>
    public int Mismatches { get; init; }
    public double MismatchRate => Samples == 0 ? 0 : (double)Mismatches / Samples;
    /// <summary>Mismatches on samples the reference classifies correctly (the compressed model broke a right answer).</summary>
    public int MismatchesReferenceRight { get; init; }
    /// <summary>Mismatches where the reference is wrong.</summary>
    public int MismatchesReferenceWrong => Mismatches - MismatchesReferenceRight;
    /// <summary>Reference right, compressed wrong: the same samples as <see cref="MismatchesReferenceRight"/>, by the literature's name.</summary>
    public int NegativeFlips => MismatchesReferenceRight;
    /// <summary>Negative flips over all samples (NFR).</summary>
    public double NegativeFlipRate => Samples == 0 ? 0 : (double)NegativeFlips / Samples;
    /// <summary>
    /// The negative flip rate over the compressed model's error rate (NFI): the share of the compressed model's errors
    /// that are new, ones the reference did not make. 0 when the compressed model makes no error.
    /// </summary>
    public double NegativeFlipImpact => CompressedAccuracy >= 1 || Samples == 0 ? 0 : NegativeFlipRate / (1 - CompressedAccuracy);
    /// <summary>Reference wrong, compressed right.</summary>
    public int PositiveFlips { get; init; }
    public double PositiveFlipRate => Samples == 0 ? 0 : (double)PositiveFlips / Samples;
    /// <summary>Per true class: samples, mismatches, negative and positive flips and their rates (index = class).</summary>
    public ClassMismatch[] PerClass { get; init; } = Array.Empty<ClassMismatch>();
    public double ReferenceAccuracy { get; init; }
    public double CompressedAccuracy { get; init; }
    public double AccuracyChange => CompressedAccuracy - ReferenceAccuracy;
    /// <summary>Mismatch rate per true class (index = class; 0 where the class has no sample).</summary>
    public double[] ClassMismatchRates { get; init; } = Array.Empty<double>();
    /// <summary>Indices (in data-set order) of the mismatching samples.</summary>
    public int[] MismatchIndices { get; init; } = Array.Empty<int>();
    /// <summary>Confusion[r][c]: samples the reference labels r and the compressed model labels c.</summary>
    public long[][] Confusion { get; init; } = Array.Empty<long[]>();
    /// <summary>Mismatches and flips by a per-example score (Measure-Mismatch -Score); null without one.</summary>
    public MismatchByScore? ByScore { get; init; }

    /// <summary>This report with a score breakdown (its figures otherwise the same).</summary>
    public MismatchReport WithByScore(MismatchByScore byScore) => new()
    {
        Reference = Reference, Compressed = Compressed, Data = Data, Samples = Samples, Mismatches = Mismatches,
        MismatchesReferenceRight = MismatchesReferenceRight, PositiveFlips = PositiveFlips, PerClass = PerClass,
        ReferenceAccuracy = ReferenceAccuracy, CompressedAccuracy = CompressedAccuracy, ClassMismatchRates = ClassMismatchRates,
        MismatchIndices = MismatchIndices, Confusion = Confusion, ByScore = byScore,
    };

    /// <summary>The reference-to-compressed confusion table as aligned text (rows: reference label).</summary>
    public string ConfusionTable()
    {
        int k = Confusion.Length;
        int width = Math.Max(4, Confusion.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(CultureInfo.InvariantCulture).Length + 1);
        var sb = new StringBuilder();
        sb.Append("ref\\cmp".PadRight(8));
        for (int c = 0; c < k; c++) sb.Append(c.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        sb.AppendLine();
        for (int r = 0; r < k; r++)
        {
            sb.Append(r.ToString(CultureInfo.InvariantCulture).PadRight(8));
            for (int c = 0; c < k; c++) sb.Append(Confusion[r][c].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Mismatches} of {Samples} mismatches ({MismatchRate:P2}), {NegativeFlips} negative flips ({NegativeFlipRate:P2}), {PositiveFlips} positive; accuracy {ReferenceAccuracy:P2} -> {CompressedAccuracy:P2}");
}
