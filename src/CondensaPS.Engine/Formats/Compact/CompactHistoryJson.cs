using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// A model's history as JSON (the HIST section): one object per step with operation, settings (in order), elapsed
/// ticks, timestamp, figures before and after, and results. Values keep their types: strings, booleans, integers
/// (written without a decimal point) and doubles (always written with one; NaN and infinities as strings "NaN",
/// "Infinity", "-Infinity" under a {"double": ...} wrapper), lists, and dictionaries; other objects in results are
/// written as dictionaries of their public properties and come back as dictionaries.
/// </summary>
public static class CompactHistoryJson
{
    public static byte[] Write(IEnumerable<HistoryStep> steps)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartArray();
            foreach (var step in steps)
            {
                w.WriteStartObject();
                w.WriteString("operation", step.Operation);
                w.WritePropertyName("settings");
                WriteValue(w, step.Settings, 0);
                w.WriteNumber("elapsed-ticks", step.Elapsed.Ticks);
                w.WriteString("timestamp", step.Timestamp.ToString("O", CultureInfo.InvariantCulture));
                w.WritePropertyName("before");
                WriteFigures(w, step.Before);
                w.WritePropertyName("after");
                WriteFigures(w, step.After);
                w.WritePropertyName("results");
                WriteValue(w, step.Results, 0);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return stream.ToArray();
    }

    public static List<HistoryStep> Read(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var steps = new List<HistoryStep>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var settings = new OrderedSettings();
            foreach (var p in e.GetProperty("settings").EnumerateObject()) settings.Add(p.Name, ReadValue(p.Value));
            var results = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in e.GetProperty("results").EnumerateObject()) results[p.Name] = ReadValue(p.Value);
            steps.Add(new HistoryStep(
                e.GetProperty("operation").GetString()!,
                settings,
                TimeSpan.FromTicks(e.GetProperty("elapsed-ticks").GetInt64()),
                ReadFigures(e.GetProperty("before")),
                ReadFigures(e.GetProperty("after")),
                results)
            {
                Timestamp = DateTimeOffset.Parse(e.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            });
        }
        return steps;
    }

    private static void WriteFigures(Utf8JsonWriter w, ModelFigures f)
    {
        w.WriteStartObject();
        w.WriteNumber("parameters", f.Parameters);
        w.WriteNumber("non-zeros", f.NonZeros);
        w.WritePropertyName("sparsity");
        WriteDouble(w, f.Sparsity);
        w.WriteNumber("size-bytes", f.SizeBytes);
        w.WriteString("dtype", f.DType);
        w.WriteEndObject();
    }

    private static ModelFigures ReadFigures(JsonElement e) => new(
        e.GetProperty("parameters").GetInt64(),
        e.GetProperty("non-zeros").GetInt64(),
        Convert.ToDouble(ReadValue(e.GetProperty("sparsity")), CultureInfo.InvariantCulture),
        e.GetProperty("size-bytes").GetInt64(),
        e.GetProperty("dtype").GetString()!);

    private static void WriteValue(Utf8JsonWriter w, object? value, int depth)
    {
        if (depth > 32) { w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); return; }
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case char c: w.WriteStringValue(c.ToString()); break;
            case Enum en: w.WriteStringValue(StepSettings.ToKebab(en.ToString())); break;
            case byte or sbyte or short or ushort or int or uint or long: w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: w.WriteNumberValue(u); break;
            case float or double or decimal: WriteDouble(w, Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            case TimeSpan t: WriteDouble(w, t.TotalSeconds); break;
            case DateTime or DateTimeOffset: w.WriteStringValue(((IFormattable)value).ToString("O", CultureInfo.InvariantCulture)); break;
            case IDictionary d:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in d) { w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!); WriteValue(w, entry.Value, depth + 1); }
                w.WriteEndObject();
                break;
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                w.WriteStartObject();
                foreach (var (k, v) in pairs) { w.WritePropertyName(k); WriteValue(w, v, depth + 1); }
                w.WriteEndObject();
                break;
            case IEnumerable e:
                w.WriteStartArray();
                foreach (var item in e) WriteValue(w, item, depth + 1);
                w.WriteEndArray();
                break;
            default:
                w.WriteStartObject();
                foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                {
                    w.WritePropertyName(p.Name);
                    WriteValue(w, p.GetValue(value), depth + 1);
                }
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>A double always carries a decimal point or exponent, so it reads back as a double, not an integer.</summary>
    private static void WriteDouble(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d))
        {
            var text = d.ToString("R", CultureInfo.InvariantCulture);
            if (!text.Contains('.') && !text.Contains('E') && !text.Contains('e')) text += ".0";
            w.WriteRawValue(text);
        }
        else
        {
            w.WriteStartObject();
            w.WriteString("double", d.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
    }

    private static object? ReadValue(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null: return null;
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Number:
                var raw = e.GetRawText();
                if (raw.IndexOfAny(new[] { '.', 'e', 'E' }) < 0 && e.TryGetInt64(out var l)) return l;
                return e.GetDouble();
            case JsonValueKind.Array:
                return e.EnumerateArray().Select(ReadValue).ToList();
            case JsonValueKind.Object:
                var props = e.EnumerateObject().ToList();
                if (props.Count == 1 && props[0].Name == "double" && props[0].Value.ValueKind == JsonValueKind.String)
                    return double.Parse(props[0].Value.GetString()!, CultureInfo.InvariantCulture);
                var d = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                foreach (var p in props) d[p.Name] = ReadValue(p.Value);
                return d;
            default:
                throw new InvalidDataException($"unexpected JSON value {e.ValueKind}");
        }
    }
}
