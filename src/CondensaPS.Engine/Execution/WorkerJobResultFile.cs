using System.Text.Json;
using CondensaPS.Engine.Formats;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// The JSON file a worker job hands back (result.json): written atomically, indented, ending with the outcome fields
/// ("error-id", "error", the elapsed time, "worker"); read back with a file that is not one (cut short, foreign)
/// reported as such under the kind's own ErrorId.
/// </summary>
public static class WorkerJobResultFile
{
    /// <summary>Writes the object <paramref name="writePayload"/> opens with, then the outcome fields, atomically to <paramref name="path"/>.</summary>
    public static void Write<TResult>(string path, TResult result, ElapsedField elapsed, Action<Utf8JsonWriter> writePayload)
        where TResult : IWorkerJobResult<TResult>
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            writePayload(w);
            if (result.ErrorId is not null) w.WriteString("error-id", result.ErrorId);
            if (result.Error is not null) w.WriteString("error", result.Error);
            if (elapsed == ElapsedField.Seconds) w.WriteNumber("elapsed-seconds", result.Elapsed.TotalSeconds);
            else w.WriteNumber("elapsed-ticks", result.Elapsed.Ticks);
            if (result.Worker is not null) w.WriteString("worker", result.Worker);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, overwrite: true, stream.ToArray());
    }

    /// <summary>
    /// Reads the payload with <paramref name="readPayload"/> and the outcome fields after it. A file that cannot be read
    /// as one throws what <paramref name="notAResult"/> makes of the reason and the exception (the kind's own ErrorId,
    /// written as a literal there so the error catalog's scan sees it).
    /// </summary>
    public static TResult Read<TResult>(string path, ElapsedField elapsed, Func<string, Exception, EngineException> notAResult, Func<JsonElement, TResult> readPayload)
        where TResult : IWorkerJobResult<TResult>
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var e = doc.RootElement;
            return readPayload(e).WithOutcome(
                e.TryGetProperty("error-id", out var id) ? id.GetString() : null,
                e.TryGetProperty("error", out var error) ? error.GetString() : null,
                elapsed == ElapsedField.Seconds
                    ? TimeSpan.FromSeconds(e.GetProperty("elapsed-seconds").GetDouble())
                    : TimeSpan.FromTicks(e.GetProperty("elapsed-ticks").GetInt64()),
                e.TryGetProperty("worker", out var worker) ? worker.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IOException)
        {
            throw notAResult(e.Message, e);
        }
    }
}
