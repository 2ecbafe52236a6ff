using System.Globalization;
using System.Text;
using System.Text.Json;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.History;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// What a worker hands back (result.json in the trial folder, written atomically as its last act): the metrics, the
/// model file and its history, or the error the trial ended with. A worker that dies leaves no result file, which is
/// how the search tells a crash from a trial that failed.
/// </summary>
public sealed record TrialResult
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

    public void Write(string path)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("succeeded", Succeeded);
            w.WritePropertyName("metrics");
            TrialJson.WriteMetrics(w, Metrics);
            if (Model is not null) w.WriteString("model", Model);
            w.WritePropertyName("history");
            w.WriteRawValue(CompactHistoryJson.Write(History));
            if (ErrorId is not null) w.WriteString("error-id", ErrorId);
            if (Error is not null) w.WriteString("error", Error);
            w.WriteNumber("elapsed-ticks", Elapsed.Ticks);
            if (Worker is not null) w.WriteString("worker", Worker);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, overwrite: true, stream.ToArray());
    }

    /// <summary>Reads a result; a file that is not one (cut short, foreign) is an error that says so.</summary>
    public static TrialResult Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var e = doc.RootElement;
            return new TrialResult
            {
                Succeeded = e.GetProperty("succeeded").GetBoolean(),
                Metrics = TrialJson.ReadMetrics(e.GetProperty("metrics")),
                Model = e.TryGetProperty("model", out var m) ? m.GetString() : null,
                History = TrialJson.ReadHistory(e.GetProperty("history")),
                ErrorId = e.TryGetProperty("error-id", out var id) ? id.GetString() : null,
                Error = e.TryGetProperty("error", out var err) ? err.GetString() : null,
                Elapsed = TimeSpan.FromTicks(e.GetProperty("elapsed-ticks").GetInt64()),
                Worker = e.TryGetProperty("worker", out var wk) ? wk.GetString() : null,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            throw new EngineException("TrialResultInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a trial result: {e.Message}.", path, e);
        }
    }
}
