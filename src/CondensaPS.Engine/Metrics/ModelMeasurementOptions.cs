using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// How to measure a model: the shape of one input sample (null: the built-in architecture's own), the batch size,
/// timed iterations after warm-up iterations, and whether to time training steps too. The same settings, in
/// kebab-case, are the "measure" strategy step's.
/// </summary>
public sealed record ModelMeasurementOptions
{
    public const string InputShapeKey = "input-shape";
    public const string BatchSizeKey = "batch-size";
    public const string IterationsKey = "iterations";
    public const string WarmupKey = "warmup";
    public const string TrainingKey = "training";
    /// <summary>The measure step only: also count label mismatches against the reference on the step's data.</summary>
    public const string MismatchKey = "mismatch";

    public static IReadOnlyCollection<string> Keys { get; } = new[] { InputShapeKey, BatchSizeKey, IterationsKey, WarmupKey, TrainingKey, MismatchKey };

    public IReadOnlyList<long>? InputShape { get; init; }
    public int BatchSize { get; init; } = 1;
    public int Iterations { get; init; } = 20;
    public int Warmup { get; init; } = 3;
    public bool Training { get; init; } = true;
    /// <summary>Real samples to time with (the first batch, in order) instead of seeded random inputs.</summary>
    public Data.Dataset? Data { get; init; }
    /// <summary>Seed of the random inputs and labels (the same for a model and its reference).</summary>
    public long Seed { get; init; } = 20240501;

    public static ModelMeasurementOptions FromSettings(StepSettings settings)
    {
        var defaults = new ModelMeasurementOptions();
        var shape = settings.Has(InputShapeKey) ? settings.GetInts(InputShapeKey) : null;
        var options = new ModelMeasurementOptions
        {
            InputShape = shape,
            BatchSize = (int)settings.GetInt(BatchSizeKey, defaults.BatchSize, 1, 65536),
            Iterations = (int)settings.GetInt(IterationsKey, defaults.Iterations, 1, 1_000_000),
            Warmup = (int)settings.GetInt(WarmupKey, defaults.Warmup, 0, 1_000_000),
            Training = settings.GetBool(TrainingKey, defaults.Training),
        };
        settings.GetBool(MismatchKey, false); // type-checked here; used by the measure step
        if (shape is not null && (shape.Count is 0 or > 6 || shape.Any(d => d < 1)))
            throw new StepSettingException(settings.Step, InputShapeKey, $"'{string.Join(",", shape)}' is not the shape of one sample: give 1 to 6 positive sizes, e.g. 3,224,224.", settings[InputShapeKey]);
        return options;
    }

    /// <summary>Checks ranges (for callers that build options directly); throws EngineException naming the value.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new EngineException("InvalidBatchSize", EngineErrorKind.InvalidArgument, $"The batch size must be at least 1, not {BatchSize}.", BatchSize);
        if (Iterations < 1) throw new EngineException("InvalidIterations", EngineErrorKind.InvalidArgument, $"Iterations must be at least 1, not {Iterations}.", Iterations);
        if (Warmup < 0) throw new EngineException("InvalidWarmup", EngineErrorKind.InvalidArgument, $"Warm-up iterations cannot be negative ({Warmup}).", Warmup);
        if (InputShape is not null && Data is not null)
            throw new EngineException("InputShapeAndData", EngineErrorKind.InvalidArgument, "Give either an input shape or a data set to measure with, not both.", InputShape);
        if (InputShape is { } s && (s.Count is 0 or > 6 || s.Any(d => d < 1)))
            throw new EngineException("InvalidInputShape", EngineErrorKind.InvalidArgument, $"'{string.Join(",", s)}' is not the shape of one sample: give 1 to 6 positive sizes, e.g. 3,224,224.", s);
    }
}
