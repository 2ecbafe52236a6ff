namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// The metric keys a trial records (kebab-case, as strategies and history use them). Mismatch figures are measured
/// against the reference on the validation data; the footprint and timings as Measure-Model measures them.
/// </summary>
public static class TrialMetrics
{
    public const string Accuracy = "accuracy";
    public const string ReferenceAccuracy = "reference-accuracy";
    /// <summary>Reference accuracy minus accuracy, in percentage points.</summary>
    public const string AccuracyDrop = "accuracy-drop";
    public const string Samples = "samples";
    public const string Mismatches = "mismatches";
    public const string MismatchRate = "mismatch-rate";
    public const string MismatchesReferenceRight = "mismatches-reference-right";
    public const string CompactBytes = "compact-bytes";
    public const string DenseBytes = "dense-bytes";
    public const string TorchScriptBytes = "torchscript-bytes";
    public const string Macs = "macs";
    public const string Throughput = "throughput";
    public const string Latency = "latency";
    public const string Sparsity = "sparsity";
    public const string NonZeros = "non-zeros";

    /// <summary>The metric key of a constraint.</summary>
    public static string Of(ConstraintMetric metric) => SearchConstraint.KeyOf(metric);

    /// <summary>The metric key of an objective.</summary>
    public static string Of(ObjectiveMetric metric) => SearchObjective.KeyOf(metric);
}
