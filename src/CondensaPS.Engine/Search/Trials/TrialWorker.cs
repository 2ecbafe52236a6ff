using System.Collections;
using System.Globalization;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Strategies;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// Runs one trial inside a worker process: reads trial.json (<see cref="TrialSpec"/>), runs the strategy with the
/// trial's parameters on the reference model (through <see cref="StrategyRunner"/>, the path Invoke-CompressionStrategy
/// takes), counts mismatches against the reference on the validation data, measures the model as Measure-Model does,
/// writes the model (compact format) and, last, result.json. A trial that throws still writes result.json, with the
/// error; only a worker that dies or is cancelled writes none (<see cref="WorkerJobRun"/>, the frame both kinds of
/// worker job share). The worker's entry point is the module's Jobs/SearchTrial.ps1, run by
/// the `condensa` host: <c>condensa &lt;module&gt;/Jobs/SearchTrial.ps1 -Spec trial.json</c>.
/// </summary>
public static class TrialWorker
{
    /// <summary>Runs the trial; returns the process exit code: 0 when it succeeded, 1 when it failed (result written).</summary>
    public static int Run(string specPath, OperationContext? context = null) =>
        WorkerJobRun.Run(specPath, context, TrialSpec.Read, (spec, c) => Execute(spec, specPath, c), spec => new TrialResult { Succeeded = false });

    private static TrialResult Execute(TrialSpec spec, string specPath, OperationContext context)
    {
        TorchRuntime.EnsureInitialized();
        TorchRuntime.ApplyThreadsToCurrentThread();
        string Resolve(string relative) => TrialSpec.Resolve(specPath, relative);
        var training = spec.TrainingData is null ? null : DatasetSnapshot.Read(Resolve(spec.TrainingData));
        var validation = spec.ValidationData is null ? training : DatasetSnapshot.Read(Resolve(spec.ValidationData));
        if (validation is null)
            throw new EngineException("SearchNeedsData", EngineErrorKind.InvalidArgument, "A trial needs validation (or training) data to compare the model with its reference.");
        var overrides = new Hashtable(StringComparer.Ordinal);
        foreach (var (key, value) in spec.Parameters) overrides[key] = value;
        var plan = StrategyPlan.Load(Resolve(spec.Strategy), overrides);
        context.Log($"Trial {spec.Number} of search '{spec.Search}': {string.Join(", ", spec.Parameters.Select(p => $"{p.Key}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"))}.");

        using var reference = ModelLoader.Load(Resolve(spec.Model), new ModelLoadOptions(), context);
        using var model = StrategyRunner.Run(plan, reference, new OperationInputs { TrainingData = training, ValidationData = validation }, context);
        var mismatch = MismatchMeasurer.Measure(reference, model, validation, context);
        var measurement = ModelMeasurementRunner.Measure(model, new ModelMeasurementOptions
        {
            Data = validation,
            BatchSize = Math.Min(spec.MeasureBatchSize, validation.Count),
            Iterations = spec.MeasureIterations,
            Warmup = spec.MeasureWarmup,
            Training = false,
        }, context: context);

        var metrics = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
        {
            [TrialMetrics.Accuracy] = mismatch.CompressedAccuracy,
            [TrialMetrics.ReferenceAccuracy] = mismatch.ReferenceAccuracy,
            [TrialMetrics.AccuracyDrop] = 100 * (mismatch.ReferenceAccuracy - mismatch.CompressedAccuracy),
            [TrialMetrics.Samples] = mismatch.Samples,
            [TrialMetrics.Mismatches] = mismatch.Mismatches,
            [TrialMetrics.MismatchRate] = mismatch.MismatchRate,
            [TrialMetrics.MismatchesReferenceRight] = mismatch.MismatchesReferenceRight,
            [TrialMetrics.CompactBytes] = measurement.CompactBytes,
            [TrialMetrics.DenseBytes] = measurement.DenseBytes,
            [TrialMetrics.Throughput] = measurement.Throughput,
            [TrialMetrics.Latency] = measurement.LatencyP50Ms,
            [TrialMetrics.Sparsity] = measurement.Sparsity,
            [TrialMetrics.NonZeros] = measurement.NonZeros,
        };
        // Multiply-accumulates per sample, where the structure analysis follows the model's code (slimming lowers them).
        if (measurement.Macs is long macs) metrics[TrialMetrics.Macs] = macs;
        if (spec.MeasureTorchScript) metrics[TrialMetrics.TorchScriptBytes] = TorchScriptBytes(model, Resolve(spec.OutputModel));

        ModelExporter.Export(model, Resolve(spec.OutputModel), ModelFileFormat.Compact, overwrite: true);
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"Trial {spec.Number}: accuracy {mismatch.CompressedAccuracy:P2} (reference {mismatch.ReferenceAccuracy:P2}), {mismatch.Mismatches} mismatches, {measurement.CompactBytes:N0} compact bytes."));
        return new TrialResult { Succeeded = true, Metrics = metrics, Model = spec.OutputModel, History = model.History.ToList() };
    }

    /// <summary>Bytes of the model as a TorchScript file (written beside the model, then removed).</summary>
    private static double TorchScriptBytes(CompressionModel model, string beside)
    {
        var path = Path.ChangeExtension(beside, ".torchscript.pt");
        ModelExporter.Export(model, path, ModelFileFormat.TorchScript, overwrite: true);
        try { return new FileInfo(path).Length; }
        finally { File.Delete(path); }
    }
}
