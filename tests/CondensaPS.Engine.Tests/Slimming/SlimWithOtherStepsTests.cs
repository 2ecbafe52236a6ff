using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static CondensaPS.Engine.Tests.Slimming.SlimTests;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>A slimmed model goes on through masks, int8, retraining, mismatch counts, compact files and strategies as any model.</summary>
public class SlimWithOtherStepsTests
{
    private static readonly long[] LeNetInput = { 1, 28, 28 };

    private static CompressionModel LeNet() => ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());

    [Fact]
    public void Masks_are_sliced_with_their_weights()
    {
        using var model = LeNet();
        using var pruned = Run("prune", model, ("ratio", 0.6), ("method", "magnitude"));
        using var slimmed = Slim(pruned, 0.5, more: ("input-shape", LeNetInput));
        foreach (var (name, mask) in slimmed.Masks)
        {
            var weight = TensorOf(slimmed, name);
            Assert.Equal(weight.shape, mask.shape);
            Assert.Equal(0, weight.mul(mask.eq(0)).count_nonzero().item<long>());
        }
        // conv2 keeps its filters' masks: the kept rows of the old mask, the kept input columns.
        var kept = (OrderedSettings)slimmed.History[^1].Results["kept"]!;
        using var rows = tensor(((List<long>)kept["conv2"]!).ToArray());
        using var columns = tensor(((List<long>)kept["conv1"]!).ToArray());
        using var expected = pruned.Masks["conv2.weight"].index_select(0, rows).index_select(1, columns);
        Assert.True(Same(expected, slimmed.Masks["conv2.weight"]));
    }

    [Fact]
    public void Int8_per_channel_scales_are_sliced_with_their_weights()
    {
        using var model = LeNet();
        using var quantized = Run("quantize", model, ("type", "int8"), ("granularity", "per-channel"));
        using var slimmed = Slim(quantized, 0.5, more: ("input-shape", LeNetInput));
        var q = slimmed.Quantization["conv2.weight"];
        var weight = TensorOf(slimmed, "conv2.weight");
        Assert.Equal(weight.shape[0], q.Scale!.shape[0]);
        // Each weight is still an integer multiple of its filter's scale.
        using var steps = weight.div(q.Scale.reshape(-1, 1, 1, 1));
        Assert.True(steps.sub(steps.round()).abs().max().item<float>() < 1e-3);
        Assert.True(slimmed.Parameters < model.Parameters);
    }

    [Fact]
    public void A_slimmed_model_retrains_label_preserving_and_counts_mismatches()
    {
        using var model = LeNet();
        using var slimmed = Slim(model, 0.5, more: ("input-shape", LeNetInput));
        using var tuned = OperationRunner.Run("retrain", slimmed, new StepSettings("retrain").Set("epochs", 1L).Set("batch-size", 64L).Set("seed", 3L),
            new OperationInputs { TrainingData = RetrainTestData.Train(), ValidationData = RetrainTestData.Val() });
        Assert.Same(model, tuned.Reference);
        Assert.Equal(new long[] { 3, 1, 5, 5 }, TensorOf(tuned, "conv1.weight").shape);
        var report = MismatchMeasurer.Measure(model, tuned, RetrainTestData.Val(), OperationContext.None);
        Assert.Equal(128, report.Samples);
        Assert.InRange(report.Mismatches, 0, 128);
    }

    [Fact]
    public void A_slimmed_model_round_trips_through_the_compact_format()
    {
        using var model = LeNet();
        using var slimmed = Slim(model, 0.5, more: ("input-shape", LeNetInput));
        var path = Path.Combine(TestPaths.NewTempFolder(), "slim.cpz");
        ModelExporter.Export(slimmed, path, ModelFileFormat.Compact, overwrite: false);
        using var back = CompactReader.Load(path, CPU);
        AssertSameState(Snapshot(slimmed), back);
        Assert.Equal(slimmed.History.Count, back.History.Count);
        using var input = randn(new long[] { 2, 1, 28, 28 }, generator: new Generator(4));
        using var a = slimmed.Forward(input);
        using var b = back.Forward(input);
        Assert.True(Same(a, b));
    }

    [Fact]
    public void A_strategy_replays_the_slimming_with_the_same_kept_channels()
    {
        using var model = LeNet();
        using var pruned = Run("prune", model, ("ratio", 0.3), ("method", "magnitude"));
        using var expected = Slim(pruned, 0.6, "filter", ("input-shape", LeNetInput), ("criterion", "l2"), ("align", 2));
        var path = Path.Combine(TestPaths.NewTempFolder(), "slim.yaml");
        StrategyWriter.Export(expected, path);
        var yaml = File.ReadAllText(path);
        Assert.Contains("slim: true", yaml);
        Assert.Contains("input-shape: [1, 28, 28]", yaml);
        using var replayed = StrategyRunner.Run(StrategyPlan.Load(path), model);
        AssertSameState(Snapshot(expected), replayed);
        Assert.Equal(expected.History[^1].Results["kept"], replayed.History[^1].Results["kept"], new KeptComparer());
    }

    private sealed class KeptComparer : IEqualityComparer<object?>
    {
        public new bool Equals(object? x, object? y)
        {
            var a = (OrderedSettings)x!;
            var b = (OrderedSettings)y!;
            return a.Keys.SequenceEqual(b.Keys) && a.Keys.All(k => ((List<long>)a[k]!).SequenceEqual((List<long>)b[k]!));
        }

        public int GetHashCode(object? obj) => 0;
    }
}
