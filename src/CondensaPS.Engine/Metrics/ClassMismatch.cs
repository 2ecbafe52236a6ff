namespace CondensaPS.Engine.Metrics;

/// <summary>The mismatch and flip figures of one true class (a row of <see cref="MismatchReport.PerClass"/>).</summary>
public sealed record ClassMismatch
{
    /// <summary>The class index (the label).</summary>
    public int Class { get; init; }
    /// <summary>Samples whose true label is this class.</summary>
    public int Samples { get; init; }
    public int Mismatches { get; init; }
    /// <summary>Reference right, compressed wrong, on this class's samples.</summary>
    public int NegativeFlips { get; init; }
    /// <summary>Reference wrong, compressed right, on this class's samples.</summary>
    public int PositiveFlips { get; init; }
    public double MismatchRate => Samples == 0 ? 0 : (double)Mismatches / Samples;
    public double NegativeFlipRate => Samples == 0 ? 0 : (double)NegativeFlips / Samples;
    public double PositiveFlipRate => Samples == 0 ? 0 : (double)PositiveFlips / Samples;
}
