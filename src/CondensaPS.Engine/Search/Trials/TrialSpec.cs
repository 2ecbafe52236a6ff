using System.Text;
using System.Text.Json;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// What a worker needs to run one trial, written as trial.json in the trial's folder: the strategy file, the reference
/// model, the training and validation data snapshots (paths relative to the trial folder, so a search folder can be
/// moved or shared with cluster nodes), the strategy parameters, the measurement settings, and where to write the
/// model and the result.
/// </summary>
public sealed record TrialSpec : IWorkerJobSpec
{
    public const string FileName = "trial.json";
    public const string Kind = "search-trial";

    public required string Search { get; init; }
    public required int Number { get; init; }
    public required string Strategy { get; init; }
    public required string Model { get; init; }
    public string? TrainingData { get; init; }
    public string? ValidationData { get; init; }
    public required IReadOnlyDictionary<string, object?> Parameters { get; init; }
    /// <summary>Also export TorchScript to count its bytes (the torchscript-bytes objective).</summary>
    public bool MeasureTorchScript { get; init; }
    /// <summary>Timed inference batches (after <see cref="MeasureWarmup"/> untimed ones) for throughput and latency.</summary>
    public int MeasureIterations { get; init; } = 20;
    public int MeasureWarmup { get; init; } = 3;
    public int MeasureBatchSize { get; init; } = 64;
    public string OutputModel { get; init; } = "model.cpz";
    public string Result { get; init; } = TrialResult.FileName;

    string IWorkerJobSpec.Title => $"Trial {Number}";

    public void Write(string path)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteString("search", Search);
            w.WriteNumber("number", Number);
            w.WriteString("strategy", Strategy);
            w.WriteString("model", Model);
            if (TrainingData is not null) w.WriteString("training-data", TrainingData);
            if (ValidationData is not null) w.WriteString("validation-data", ValidationData);
            w.WritePropertyName("parameters");
            TrialJson.WriteParameters(w, Parameters);
            w.WriteBoolean("measure-torchscript", MeasureTorchScript);
            w.WriteNumber("measure-iterations", MeasureIterations);
            w.WriteNumber("measure-warmup", MeasureWarmup);
            w.WriteNumber("measure-batch-size", MeasureBatchSize);
            w.WriteString("output-model", OutputModel);
            w.WriteString("result", Result);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, overwrite: true, stream.ToArray());
    }

    public static TrialSpec Read(string path)
    {
        if (!File.Exists(path))
            throw new EngineException("TrialSpecNotFound", EngineErrorKind.ObjectNotFound, $"The trial file '{path}' does not exist.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var e = doc.RootElement;
            if (e.GetProperty("kind").GetString() != Kind)
                throw new JsonException($"'kind' is not '{Kind}'");
            return new TrialSpec
            {
                Search = e.GetProperty("search").GetString()!,
                Number = e.GetProperty("number").GetInt32(),
                Strategy = e.GetProperty("strategy").GetString()!,
                Model = e.GetProperty("model").GetString()!,
                TrainingData = e.TryGetProperty("training-data", out var t) ? t.GetString() : null,
                ValidationData = e.TryGetProperty("validation-data", out var v) ? v.GetString() : null,
                Parameters = TrialJson.ReadParameters(e.GetProperty("parameters")),
                MeasureTorchScript = e.GetProperty("measure-torchscript").GetBoolean(),
                MeasureIterations = e.GetProperty("measure-iterations").GetInt32(),
                MeasureWarmup = e.GetProperty("measure-warmup").GetInt32(),
                MeasureBatchSize = e.GetProperty("measure-batch-size").GetInt32(),
                OutputModel = e.GetProperty("output-model").GetString()!,
                Result = e.GetProperty("result").GetString()!,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new EngineException("TrialSpecInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a trial file: {e.Message}.", path, e);
        }
    }

    /// <summary>A path of this spec resolved against the folder of the spec file.</summary>
    public static string Resolve(string specPath, string relative) => IWorkerJobSpec.Resolve(specPath, relative);
}
