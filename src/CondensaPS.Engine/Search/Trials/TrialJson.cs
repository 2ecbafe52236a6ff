using System.Globalization;
using System.Text;
using System.Text.Json;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.History;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// Trials as JSON objects (one line of the journal each): every property of <see cref="SearchTrial"/> under a
/// kebab-case name, the history as the compact format's history JSON. Doubles are written in round-trip form, so a
/// trial read back equals the trial written.
/// </summary>
public static class TrialJson
{
    public static void Write(Utf8JsonWriter w, SearchTrial t)
    {
        w.WriteStartObject();
        w.WriteString("record", "trial");
        w.WriteString("search", t.Search);
        w.WriteNumber("number", t.Number);
        w.WriteString("parameter", t.Parameter);
        w.WriteNumber("value", t.Value);
        w.WritePropertyName("parameters");
        WriteParameters(w, t.Parameters);
        w.WriteString("stage", t.Stage.ToString());
        if (t.Reason is not null) w.WriteString("reason", t.Reason);
        w.WriteString("status", t.Status.ToString());
        w.WriteBoolean("feasible", t.Feasible);
        w.WritePropertyName("metrics");
        WriteMetrics(w, t.Metrics);
        if (t.Objective is { } o) w.WriteNumber("objective", o);
        w.WriteNumber("elapsed-ticks", t.Elapsed.Ticks);
        w.WriteString("started", t.Started.ToString("O", CultureInfo.InvariantCulture));
        w.WriteString("finished", t.Finished.ToString("O", CultureInfo.InvariantCulture));
        if (t.ModelPath is not null) w.WriteString("model-path", t.ModelPath);
        w.WritePropertyName("history");
        w.WriteRawValue(CompactHistoryJson.Write(t.History));
        if (t.ErrorId is not null) w.WriteString("error-id", t.ErrorId);
        if (t.Error is not null) w.WriteString("error", t.Error);
        w.WriteNumber("attempts", t.Attempts);
        if (t.Worker is not null) w.WriteString("worker", t.Worker);
        if (t.LogPath is not null) w.WriteString("log-path", t.LogPath);
        w.WriteEndObject();
    }

    public static string ToLine(SearchTrial t)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) Write(w, t);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static SearchTrial Read(JsonElement e) => new()
    {
        Search = e.GetProperty("search").GetString()!,
        Number = e.GetProperty("number").GetInt32(),
        Parameter = e.GetProperty("parameter").GetString()!,
        Value = e.GetProperty("value").GetDouble(),
        Parameters = ReadParameters(e.GetProperty("parameters")),
        Stage = Enum.Parse<SearchStage>(e.GetProperty("stage").GetString()!),
        Reason = Optional(e, "reason"),
        Status = Enum.Parse<TrialStatus>(e.GetProperty("status").GetString()!),
        Feasible = e.GetProperty("feasible").GetBoolean(),
        Metrics = ReadMetrics(e.GetProperty("metrics")),
        Objective = e.TryGetProperty("objective", out var o) ? o.GetDouble() : null,
        Elapsed = TimeSpan.FromTicks(e.GetProperty("elapsed-ticks").GetInt64()),
        Started = Time(e, "started"),
        Finished = Time(e, "finished"),
        ModelPath = Optional(e, "model-path"),
        History = ReadHistory(e.GetProperty("history")),
        ErrorId = Optional(e, "error-id"),
        Error = Optional(e, "error"),
        Attempts = e.GetProperty("attempts").GetInt32(),
        Worker = Optional(e, "worker"),
        LogPath = Optional(e, "log-path"),
    };

    public static void WriteParameters(Utf8JsonWriter w, IReadOnlyDictionary<string, object?> parameters)
    {
        w.WriteStartObject();
        foreach (var (key, value) in parameters)
        {
            switch (value)
            {
                case null: w.WriteNull(key); break;
                case bool b: w.WriteBoolean(key, b); break;
                case long l: w.WriteNumber(key, l); break;
                case int i: w.WriteNumber(key, i); break;
                case double d: w.WriteNumber(key, d); break;
                case System.Collections.IEnumerable list and not string:
                    w.WriteStartArray(key);
                    foreach (var item in list) w.WriteStringValue(Convert.ToString(item, CultureInfo.InvariantCulture));
                    w.WriteEndArray();
                    break;
                default: w.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
        }
        w.WriteEndObject();
    }

    public static IReadOnlyDictionary<string, object?> ReadParameters(JsonElement e)
    {
        var parameters = new Operations.OrderedSettings();
        foreach (var p in e.EnumerateObject()) parameters.Add(p.Name, Scalar(p.Value));
        return parameters;
    }

    public static void WriteMetrics(Utf8JsonWriter w, IReadOnlyDictionary<string, double> metrics)
    {
        w.WriteStartObject();
        foreach (var (key, value) in metrics)
        {
            if (double.IsFinite(value)) w.WriteNumber(key, value);
            else w.WriteString(key, value.ToString(CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();
    }

    public static IReadOnlyDictionary<string, double> ReadMetrics(JsonElement e)
    {
        var metrics = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in e.EnumerateObject())
            metrics[p.Name] = p.Value.ValueKind == JsonValueKind.String ? double.Parse(p.Value.GetString()!, CultureInfo.InvariantCulture) : p.Value.GetDouble();
        return metrics;
    }

    public static IReadOnlyList<HistoryStep> ReadHistory(JsonElement e) => CompactHistoryJson.Read(Encoding.UTF8.GetBytes(e.GetRawText()));

    private static object? Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when v.TryGetInt64(out var l) && !v.GetRawText().Contains('.') && !v.GetRawText().Contains('E', StringComparison.OrdinalIgnoreCase) => l,
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.Array => v.EnumerateArray().Select(Scalar).ToList(),
        _ => v.GetString(),
    };

    private static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset Time(JsonElement e, string name) =>
        DateTimeOffset.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
