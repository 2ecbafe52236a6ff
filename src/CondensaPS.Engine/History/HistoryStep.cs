namespace CondensaPS.Engine.History;

/// <summary>
/// One recorded step of a model's history: the operation (a strategy step name such as "prune"), the settings it
/// ran with (the same keys a YAML strategy uses), the time it took, and key figures before and after.
/// </summary>
public sealed class HistoryStep
{
    public HistoryStep(string operation, IReadOnlyDictionary<string, object?> settings, TimeSpan elapsed,
        ModelFigures before, ModelFigures after, IReadOnlyDictionary<string, object?>? results = null)
    {
        Operation = operation;
        Settings = new Dictionary<string, object?>(settings, StringComparer.OrdinalIgnoreCase);
        Elapsed = elapsed;
        Before = before;
        After = after;
        Results = results ?? new Dictionary<string, object?>();
        Timestamp = DateTimeOffset.UtcNow;
    }

    public string Operation { get; }
    public IReadOnlyDictionary<string, object?> Settings { get; }
    public TimeSpan Elapsed { get; }
    public ModelFigures Before { get; }
    public ModelFigures After { get; }
    /// <summary>Operation-specific figures (per-layer sparsity, per-epoch losses, ...).</summary>
    public IReadOnlyDictionary<string, object?> Results { get; }
    /// <summary>When the step ran (set on creation; restored when a model is read back from a file).</summary>
    public DateTimeOffset Timestamp { get; init; }

    public override string ToString() =>
        $"{Operation} ({string.Join(", ", Settings.Select(kv => $"{kv.Key}={FormatValue(kv.Value)}"))})";

    private static string FormatValue(object? v) => v switch
    {
        null => "null",
        string s => s,
        System.Collections.IEnumerable e => "[" + string.Join(",", e.Cast<object?>().Select(FormatValue)) + "]",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}

/// <summary>Key figures of a model at one moment.</summary>
public sealed record ModelFigures(long Parameters, long NonZeros, double Sparsity, long SizeBytes, string DType);
