using System.Globalization;
using System.Text.Json;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Search.Trials;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// A memorisation result as a JSON file (memorization.json): the settings, the failed models, and the scores as
/// columns (one array per figure, example i at position i; NaN as null), each data set with its name, count and
/// fingerprint. Readable by ConvertFrom-Json, Python's json, and <see cref="Read"/>. Top influences are per test
/// example an array of [training index, influence, standard error].
/// </summary>
public static class MemorizationFile
{
    public const string FileName = "memorization.json";
    public const string Format = "condensaps-memorization";
    public const int Version = 1;

    public static void Write(MemorizationResult r, string path, bool overwrite)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Version);
            w.WriteString("architecture", r.Architecture);
            w.WriteString("model", r.Model);
            w.WriteNumber("subset-count", r.SubsetCount);
            w.WriteNumber("subset-ratio", r.SubsetRatio);
            w.WriteNumber("seed", r.Seed);
            w.WriteString("initialization", r.Initialization);
            w.WriteNumber("top-influences", r.TopInfluences);
            w.WritePropertyName("recipe");
            TrialJson.WriteParameters(w, r.Recipe);
            w.WriteNumber("models-used", r.ModelsUsed);
            w.WriteStartArray("failed-models");
            foreach (var f in r.FailedModels)
            {
                w.WriteStartObject();
                w.WriteNumber("number", f.Number);
                w.WriteString("error-id", f.ErrorId);
                w.WriteString("error", f.Error);
                if (f.LogPath is not null) w.WriteString("log-path", f.LogPath);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Number(w, "split-half-correlation", r.SplitHalfCorrelation);
            Number(w, "mean-subset-accuracy", r.MeanSubsetAccuracy);
            Number(w, "mean-test-accuracy", r.MeanTestAccuracy);
            w.WriteNumber("elapsed-seconds", r.Elapsed.TotalSeconds);
            if (r.Executor is not null) w.WriteString("executor", r.Executor);

            w.WriteStartObject("training");
            w.WriteString("name", r.TrainingData);
            w.WriteString("fingerprint", r.TrainingFingerprint);
            w.WriteNumber("count", r.Training.Count);
            Longs(w, "label", r.Training.Select(s => s.Label));
            Doubles(w, "memorization", r.Training.Select(s => s.Memorization));
            Doubles(w, "standard-error", r.Training.Select(s => s.StandardError));
            Longs(w, "models-in", r.Training.Select(s => (long)s.ModelsIn));
            Longs(w, "models-out", r.Training.Select(s => (long)s.ModelsOut));
            Doubles(w, "accuracy-in", r.Training.Select(s => s.AccuracyIn));
            Doubles(w, "accuracy-out", r.Training.Select(s => s.AccuracyOut));
            w.WriteEndObject();

            if (r.TestFingerprint is not null)
            {
                w.WriteStartObject("test");
                w.WriteString("name", r.TestData);
                w.WriteString("fingerprint", r.TestFingerprint);
                w.WriteNumber("count", r.Test.Count);
                Longs(w, "label", r.Test.Select(s => s.Label));
                Longs(w, "models", r.Test.Select(s => (long)s.Models));
                Doubles(w, "accuracy", r.Test.Select(s => s.Accuracy));
                Doubles(w, "influence", r.Test.Select(s => s.Influence));
                Doubles(w, "influence-standard-error", r.Test.Select(s => s.InfluenceStandardError));
                Longs(w, "influential-example", r.Test.Select(s => (long)s.InfluentialExample));
                w.WriteStartArray("top-influences");
                foreach (var s in r.Test)
                {
                    w.WriteStartArray();
                    foreach (var i in s.TopInfluences)
                    {
                        w.WriteStartArray();
                        w.WriteNumberValue(i.TrainingIndex);
                        w.WriteNumberValue(i.Value);
                        w.WriteNumberValue(i.StandardError);
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, overwrite, stream.ToArray());
    }

    public static MemorizationResult Read(string path)
    {
        if (!File.Exists(path))
            throw new EngineException("ScoreFileNotFound", EngineErrorKind.ObjectNotFound, $"The memorisation file '{path}' does not exist.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("format", out var format) || format.GetString() != Format)
                throw new JsonException($"it has no \"format\": \"{Format}\"");
            if (e.GetProperty("version").GetInt32() != Version)
                throw new JsonException($"version {e.GetProperty("version").GetInt32()} is not {Version}");
            var t = e.GetProperty("training");
            int n = t.GetProperty("count").GetInt32();
            var labels = LongColumn(t, "label", n);
            var mem = DoubleColumn(t, "memorization", n);
            var se = DoubleColumn(t, "standard-error", n);
            var modelsIn = LongColumn(t, "models-in", n);
            var modelsOut = LongColumn(t, "models-out", n);
            var accIn = DoubleColumn(t, "accuracy-in", n);
            var accOut = DoubleColumn(t, "accuracy-out", n);
            var training = Enumerable.Range(0, n).Select(i => new MemorizationScore
            {
                Index = i, Label = labels[i], Memorization = mem[i], StandardError = se[i], ModelsIn = (int)modelsIn[i], ModelsOut = (int)modelsOut[i],
                AccuracyIn = accIn[i], AccuracyOut = accOut[i],
            }).ToArray();

            TestExampleScore[] test = Array.Empty<TestExampleScore>();
            string? testName = null, testFingerprint = null;
            if (e.TryGetProperty("test", out var s))
            {
                int m = s.GetProperty("count").GetInt32();
                testName = s.GetProperty("name").GetString();
                testFingerprint = s.GetProperty("fingerprint").GetString();
                var tl = LongColumn(s, "label", m);
                var models = LongColumn(s, "models", m);
                var acc = DoubleColumn(s, "accuracy", m);
                var infl = DoubleColumn(s, "influence", m);
                var inflSe = DoubleColumn(s, "influence-standard-error", m);
                var best = LongColumn(s, "influential-example", m);
                var tops = s.GetProperty("top-influences").EnumerateArray().ToArray();
                if (tops.Length != m) throw new JsonException($"'top-influences' has {tops.Length} entries for {m} test examples");
                test = Enumerable.Range(0, m).Select(j => new TestExampleScore
                {
                    Index = j, Label = tl[j], Models = (int)models[j], Accuracy = acc[j], Influence = infl[j], InfluenceStandardError = inflSe[j],
                    InfluentialExample = (int)best[j],
                    TopInfluences = tops[j].EnumerateArray().Select(p =>
                    {
                        int i = p[0].GetInt32();
                        if (i < 0 || i >= n) throw new JsonException($"test example {j} names training example {i} of {n}");
                        return new Influence { TrainingIndex = i, TrainingLabel = labels[i], Value = p[1].GetDouble(), StandardError = p[2].GetDouble() };
                    }).ToArray(),
                }).ToArray();
            }
            return new MemorizationResult
            {
                Architecture = e.GetProperty("architecture").GetString()!,
                Model = e.GetProperty("model").GetString()!,
                SubsetCount = e.GetProperty("subset-count").GetInt32(),
                SubsetRatio = e.GetProperty("subset-ratio").GetDouble(),
                Seed = e.GetProperty("seed").GetInt32(),
                Initialization = e.GetProperty("initialization").GetString()!,
                TopInfluences = e.GetProperty("top-influences").GetInt32(),
                Recipe = TrialJson.ReadParameters(e.GetProperty("recipe")),
                ModelsUsed = e.GetProperty("models-used").GetInt32(),
                FailedModels = e.GetProperty("failed-models").EnumerateArray().Select(f => new SubsetModelFailure(
                    f.GetProperty("number").GetInt32(), f.GetProperty("error-id").GetString()!, f.GetProperty("error").GetString()!,
                    f.TryGetProperty("log-path", out var log) ? log.GetString() : null)).ToArray(),
                SplitHalfCorrelation = OptionalDouble(e, "split-half-correlation"),
                MeanSubsetAccuracy = OptionalDouble(e, "mean-subset-accuracy"),
                MeanTestAccuracy = OptionalDouble(e, "mean-test-accuracy"),
                Elapsed = TimeSpan.FromSeconds(e.GetProperty("elapsed-seconds").GetDouble()),
                Executor = e.TryGetProperty("executor", out var ex) ? ex.GetString() : null,
                TrainingData = t.GetProperty("name").GetString()!,
                TrainingFingerprint = t.GetProperty("fingerprint").GetString()!,
                TestData = testName,
                TestFingerprint = testFingerprint,
                Training = training,
                Test = test,
                Path = System.IO.Path.GetFullPath(path),
                Folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)),
            };
        }
        catch (Exception x) when (x is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new EngineException("ScoreFileInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a memorisation file: {x.Message}.", path, x);
        }
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value); else w.WriteNull(name);
    }

    private static void Doubles(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
        w.WriteEndArray();
    }

    private static void Longs(Utf8JsonWriter w, string name, IEnumerable<long> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static double OptionalDouble(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;

    private static double[] DoubleColumn(JsonElement e, string name, int count)
    {
        var values = e.GetProperty(name).EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();
        if (values.Length != count) throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"'{name}' has {values.Length} values for {count} examples"));
        return values;
    }

    private static long[] LongColumn(JsonElement e, string name, int count)
    {
        var values = e.GetProperty(name).EnumerateArray().Select(v => v.GetInt64()).ToArray();
        if (values.Length != count) throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"'{name}' has {values.Length} values for {count} examples"));
        return values;
    }
}
