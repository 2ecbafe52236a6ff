using System.Text.Json;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Search.Trials;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// What a worker needs to train one subset model of a memorisation estimate, written as subset.json in the model's
/// folder: the starting model and the data snapshots (paths relative to that folder, so a run's folder can be shared
/// with cluster nodes or moved), the subset (drawn again from the plan's seed and the model's number,
/// <see cref="SubsetPlan"/>), how the weights start, the training seed and the recipe (retrain settings).
/// </summary>
public sealed record SubsetJobSpec : IWorkerJobSpec
{
    public const string FileName = "subset.json";
    public const string Kind = "memorization-subset";

    /// <summary>0-based; the subset drawn and the seeds follow from it.</summary>
    public required int Number { get; init; }
    public required double SubsetRatio { get; init; }
    public required int PlanSeed { get; init; }
    /// <summary>The seed of the fresh initialisation and of the training (batch order, augmentation).</summary>
    public required int TrainingSeed { get; init; }
    public required MemorizationInitialization Initialization { get; init; }
    public required string Model { get; init; }
    public required string TrainingData { get; init; }
    public string? TestData { get; init; }
    public required IReadOnlyDictionary<string, object?> Recipe { get; init; }
    public string Result { get; init; } = SubsetJobResult.FileName;

    string IWorkerJobSpec.Title => $"Subset model {Number}";

    public void Write(string path)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteNumber("number", Number);
            w.WriteNumber("subset-ratio", SubsetRatio);
            w.WriteNumber("plan-seed", PlanSeed);
            w.WriteNumber("training-seed", TrainingSeed);
            w.WriteString("initialization", Initialization.ToString().ToLowerInvariant());
            w.WriteString("model", Model);
            w.WriteString("training-data", TrainingData);
            if (TestData is not null) w.WriteString("test-data", TestData);
            w.WritePropertyName("recipe");
            TrialJson.WriteParameters(w, Recipe);
            w.WriteString("result", Result);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, overwrite: true, stream.ToArray());
    }

    public static SubsetJobSpec Read(string path)
    {
        if (!File.Exists(path))
            throw new EngineException("SubsetSpecNotFound", EngineErrorKind.ObjectNotFound, $"The subset file '{path}' does not exist.", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var e = doc.RootElement;
            if (e.GetProperty("kind").GetString() != Kind) throw new JsonException($"'kind' is not '{Kind}'");
            return new SubsetJobSpec
            {
                Number = e.GetProperty("number").GetInt32(),
                SubsetRatio = e.GetProperty("subset-ratio").GetDouble(),
                PlanSeed = e.GetProperty("plan-seed").GetInt32(),
                TrainingSeed = e.GetProperty("training-seed").GetInt32(),
                Initialization = Enum.Parse<MemorizationInitialization>(e.GetProperty("initialization").GetString()!, ignoreCase: true),
                Model = e.GetProperty("model").GetString()!,
                TrainingData = e.GetProperty("training-data").GetString()!,
                TestData = e.TryGetProperty("test-data", out var t) ? t.GetString() : null,
                Recipe = TrialJson.ReadParameters(e.GetProperty("recipe")),
                Result = e.GetProperty("result").GetString()!,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new EngineException("SubsetSpecInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a subset file: {e.Message}.", path, e);
        }
    }

    /// <summary>A path of this spec resolved against the folder of the spec file.</summary>
    public static string Resolve(string specPath, string relative) => IWorkerJobSpec.Resolve(specPath, relative);
}
