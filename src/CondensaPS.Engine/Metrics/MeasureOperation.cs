using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// The "measure" strategy step: times the model and counts its bytes (the figures Measure-Model reports) without
/// changing it. It returns a copy of the input (the contract: the input is never changed) and records a history step
/// whose results are the figures, so a strategy's output model carries its measurements and Export-Strategy keeps
/// the step. Settings: input-shape, batch-size, iterations, warmup, training.
/// </summary>
public sealed class MeasureOperation : ICompressionOperation
{
    public string StepName => "measure";

    public IReadOnlyCollection<string> SettingKeys => ModelMeasurementOptions.Keys;

    public void Validate(StepSettings settings) => ModelMeasurementOptions.FromSettings(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var options = ModelMeasurementOptions.FromSettings(settings);
        var measurement = ModelMeasurementRunner.Measure(input, options, context: context);
        var output = input.Clone();
        output.Reference = input.Reference ?? input;
        return new OperationResult(output, Results(measurement));
    }

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
