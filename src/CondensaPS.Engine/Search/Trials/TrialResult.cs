using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.History;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// What a worker hands back (result.json in the trial folder, written atomically as its last act): the metrics, the
/// model file and its history, or the error the trial ended with. A worker that dies leaves no result file, which is
/// how the search tells a crash from a trial that failed.
/// </summary>
public sealed record TrialResult : IWorkerJobResult<TrialResult>
{
    public const string FileName = "result.json";

    public required bool Succeeded { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>The model file, relative to the trial folder.</summary>
    public string? Model { get; init; }
    public IReadOnlyList<HistoryStep> History { get; init; } = Array.Empty<HistoryStep>();
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    public TimeSpan Elapsed { get; init; }
    /// <summary>"pid 4242 on host".</summary>
    public string? Worker { get; init; }

    public TrialResult WithOutcome(string? errorId, string? error, TimeSpan elapsed, string? worker) =>
        this with { ErrorId = errorId, Error = error, Elapsed = elapsed, Worker = worker };

    public void Write(string path) => WorkerJobResultFile.Write(path, this, ElapsedField.Ticks, w =>
    {
        w.WriteBoolean("succeeded", Succeeded);
        w.WritePropertyName("metrics");
        TrialJson.WriteMetrics(w, Metrics);
        if (Model is not null) w.WriteString("model", Model);
        w.WritePropertyName("history");
        w.WriteRawValue(CompactHistoryJson.Write(History));
    });

    /// <summary>Reads a result; a file that is not one (cut short, foreign) is an error that says so.</summary>
    public static TrialResult Read(string path) => WorkerJobResultFile.Read(path, ElapsedField.Ticks, (why, inner) =>
        new EngineException("TrialResultInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a trial result: {why}.", path, inner), e => new TrialResult
    {
        Succeeded = e.GetProperty("succeeded").GetBoolean(),
        Metrics = TrialJson.ReadMetrics(e.GetProperty("metrics")),
        Model = e.TryGetProperty("model", out var m) ? m.GetString() : null,
        History = TrialJson.ReadHistory(e.GetProperty("history")),
    });
}
