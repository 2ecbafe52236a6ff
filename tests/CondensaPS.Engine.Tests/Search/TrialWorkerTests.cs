using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>
/// A trial as its worker runs it (here in-process; the search runs the same code in a `condensa` process): the
/// inputs written by <see cref="SearchInputs"/>, trial.json, then result.json with every metric and the model file.
/// </summary>
public class TrialWorkerTests
{
    private const string Strategy = "version: 1\nname: t\nparameters:\n  ratio: 0.5\nsteps:\n  - prune: { ratio: \"${ratio}\", scope: global }\n  - retrain: { loss: label-preserving, epochs: 1, learning-rate: 0.01, seed: 3 }\n";

    private const string PruneStrategy = "version: 1\nname: t\nparameters:\n  ratio: 0.5\nsteps:\n  - prune: { ratio: \"${ratio}\", scope: global }\n";

    private const string SlimStrategy = "version: 1\nname: t\nparameters:\n  ratio: 0.5\nsteps:\n  - prune: { ratio: \"${ratio}\", method: filter, slim: true }\n";

    private static (string Spec, SearchInputs Inputs, Models.CompressionModel Reference) Prepare(double ratio, string strategy = Strategy)
    {
        var folder = TestPaths.NewTempFolder();
        var reference = LeNet(5);
        var inputs = SearchInputs.Prepare(folder, strategy, reference, RetrainTestData.Train(128), RetrainTestData.Val(64));
        var trialDir = Path.Combine(folder, "trials", "0001");
        Directory.CreateDirectory(trialDir);
        var spec = new TrialSpec
        {
            Search = "t",
            Number = 1,
            Strategy = Path.GetRelativePath(trialDir, inputs.Strategy),
            Model = Path.GetRelativePath(trialDir, inputs.Model),
            TrainingData = Path.GetRelativePath(trialDir, inputs.TrainingData!),
            ValidationData = Path.GetRelativePath(trialDir, inputs.ValidationData!),
            Parameters = new OrderedSettings { { "ratio", ratio } },
            MeasureIterations = 2,
            MeasureWarmup = 1,
        };
        var specPath = Path.Combine(trialDir, TrialSpec.FileName);
        spec.Write(specPath);
        Assert.Equal(spec.Parameters["ratio"], TrialSpec.Read(specPath).Parameters["ratio"]);
        return (specPath, inputs, reference);
    }

    [Fact]
    public void A_trial_writes_its_model_and_every_metric()
    {
        var (spec, _, reference) = Prepare(0.8);
        using var _r = reference;
        var result = RunSucceeded(spec);
        foreach (var key in new[] { TrialMetrics.Accuracy, TrialMetrics.ReferenceAccuracy, TrialMetrics.AccuracyDrop, TrialMetrics.MismatchRate,
                     TrialMetrics.MismatchesReferenceRight, TrialMetrics.CompactBytes, TrialMetrics.Throughput, TrialMetrics.Latency, TrialMetrics.Sparsity })
            Assert.True(result.Metrics.ContainsKey(key), key);
        Assert.Equal(64, result.Metrics[TrialMetrics.Samples]);
        Assert.Equal(100 * (result.Metrics[TrialMetrics.ReferenceAccuracy] - result.Metrics[TrialMetrics.Accuracy]), result.Metrics[TrialMetrics.AccuracyDrop], 9);
        Assert.Equal(new[] { "prune", "retrain" }, result.History.Select(h => h.Operation));
        Assert.InRange(result.Metrics[TrialMetrics.Sparsity], 0.75, 0.85);
        using var model = ModelLoader.Load(Path.Combine(Path.GetDirectoryName(spec)!, result.Model!), new ModelLoadOptions());
        Assert.Equal(2, model.History.Count);
        Assert.Contains("pid", result.Worker);
    }

    [Fact]
    public void A_trial_records_the_multiply_accumulates_that_slimming_removes()
    {
        var (spec, _, reference) = Prepare(0.5, SlimStrategy);
        using var _r = reference;
        var result = RunSucceeded(spec);
        Assert.True(result.Metrics.ContainsKey(TrialMetrics.Macs), "no macs metric");
        long referenceMacs = reference.Macs!.Value;
        Assert.InRange(result.Metrics[TrialMetrics.Macs], 1, referenceMacs * 0.8);
    }

    [Fact]
    public void A_trial_for_the_torchscript_bytes_objective_records_the_size_of_its_TorchScript_file()
    {
        var (spec, _, reference) = Prepare(0.8, PruneStrategy);
        using var _r = reference;
        var folder = Path.GetDirectoryName(spec)!;
        (TrialSpec.Read(spec) with { MeasureTorchScript = true }).Write(spec);
        var result = RunSucceeded(spec);
        Assert.True(result.Metrics.ContainsKey(TrialMetrics.TorchScriptBytes), "no torchscript-bytes metric");
        // LeNet-5's 61,706 float32 parameters alone take about 240 kB in a TorchScript file (which stores them dense).
        Assert.InRange(result.Metrics[TrialMetrics.TorchScriptBytes], 200_000, 2_000_000);
        // The TorchScript file is only measured: the trial folder keeps the compact model and nothing else of it.
        Assert.Empty(Directory.GetFiles(folder, "*.torchscript.pt"));
    }

    [Fact]
    public void A_trial_measures_torchscript_bytes_only_when_asked()
    {
        var (spec, _, reference) = Prepare(0.8, PruneStrategy);
        using var _r = reference;
        var result = RunSucceeded(spec);
        Assert.False(result.Metrics.ContainsKey(TrialMetrics.TorchScriptBytes));
    }

    /// <summary>Runs the trial in this process and returns its result, which must have succeeded (exit code 0).</summary>
    private static TrialResult RunSucceeded(string spec)
    {
        Assert.Equal(0, TrialWorker.Run(spec));
        var result = TrialResult.Read(Path.Combine(Path.GetDirectoryName(spec)!, TrialResult.FileName));
        Assert.True(result.Succeeded, result.Error);
        return result;
    }

    [Fact]
    public void The_reference_round_trips_through_the_inputs_exactly()
    {
        var (_, inputs, reference) = Prepare(0.5);
        using var _r = reference;
        using var read = ModelLoader.Load(inputs.Model, new ModelLoadOptions());
        Assert.Equal(inputs.ModelDigest, SearchInputs.Digest(read));
        AssertSameState(Snapshot(reference), read);
    }

    [Fact]
    public void A_trial_that_throws_records_its_error_and_exits_1()
    {
        var (spec, _, reference) = Prepare(1.5);
        using var _r = reference;
        Assert.Equal(1, TrialWorker.Run(spec));
        var result = TrialResult.Read(Path.Combine(Path.GetDirectoryName(spec)!, TrialResult.FileName));
        Assert.False(result.Succeeded);
        Assert.Equal("StrategyInvalidSetting", result.ErrorId);
        Assert.Contains("ratio", result.Error);
        Assert.Empty(result.Metrics);
    }
}
