using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// The "measure" strategy step: times the model and counts its bytes (the figures Measure-Model reports) without
/// changing it. It returns a copy of the input (the contract: the input is never changed) and records a history step
/// whose results are the figures, so a strategy's output model carries its measurements and Export-Strategy keeps
/// the step. Settings: input-shape, batch-size, iterations, warmup, training, and mismatch (count label mismatches against the
/// reference on the strategy's -ValidationData, else -Data; timing then also runs on those samples).
/// </summary>
public sealed class MeasureOperation : ICompressionOperation
{
    public string StepName => "measure";

    public IReadOnlyCollection<string> SettingKeys => ModelMeasurementOptions.Keys;

    public void Validate(StepSettings settings) => ModelMeasurementOptions.FromSettings(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var data = (inputs.ValidationData ?? inputs.TrainingData) as Data.Dataset;
        var options = ModelMeasurementOptions.FromSettings(settings);
        if (data is not null && !settings.Has(ModelMeasurementOptions.InputShapeKey)) options = options with { Data = data };
        MismatchReport? mismatches = null;
        if (settings.GetBool(ModelMeasurementOptions.MismatchKey, false))
        {
            if (data is null)
                throw new EngineException("MeasureMismatchNeedsData", EngineErrorKind.InvalidArgument,
                    "The measure step's 'mismatch: true' needs data: pass -ValidationData (or -Data) to Invoke-CompressionStrategy.");
            var reference = inputs.Reference ?? input.Reference ?? throw new EngineException("ReferenceRequired", EngineErrorKind.InvalidArgument,
                $"Model '{input.Name}' has no reference to count mismatches against; it is the reference itself.", input.Name);
            mismatches = MismatchMeasurer.Measure(reference, input, data, context);
        }
        var measurement = ModelMeasurementRunner.Measure(input, options, context: context);
        var output = input.Clone();
        output.Reference = input.Reference ?? input;
        var results = new Dictionary<string, object?>(Results(measurement));
        if (mismatches is not null)
            foreach (var (key, value) in MismatchResults(mismatches)) results[key] = value;
        return new OperationResult(output, results);
    }

    /// <summary>The mismatch figures as history results.</summary>
    public static IReadOnlyDictionary<string, object?> MismatchResults(MismatchReport r) => new Dictionary<string, object?>
    {
        ["samples"] = r.Samples,
        ["mismatches"] = r.Mismatches,
        ["mismatch-rate"] = r.MismatchRate,
        ["mismatches-reference-right"] = r.MismatchesReferenceRight,
        ["accuracy"] = r.CompressedAccuracy,
        ["reference-accuracy"] = r.ReferenceAccuracy,
    };

    /// <summary>The figures as history results, under the step vocabulary's kebab-case keys.</summary>
    public static IReadOnlyDictionary<string, object?> Results(ModelMeasurement m) => new Dictionary<string, object?>
    {
        ["input-shape"] = m.InputShape.ToList(),
        ["batch-size"] = m.BatchSize,
        ["threads"] = m.Threads,
        ["latency-p50-ms"] = m.LatencyP50Ms,
        ["latency-p95-ms"] = m.LatencyP95Ms,
        ["throughput"] = m.Throughput,
        ["training-throughput"] = m.TrainingThroughput,
        ["parameters"] = m.Parameters,
        ["non-zeros"] = m.NonZeros,
        ["dense-bytes"] = m.DenseBytes,
        ["compact-bytes"] = m.CompactBytes,
        ["compression-ratio"] = m.CompressionRatio,
    };
}
