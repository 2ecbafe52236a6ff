using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static CondensaPS.Engine.Tests.Slimming.SlimTests;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>What slimming leaves alone and says why; what it refuses, with which ErrorId; the input always untouched.</summary>
public class SlimBadInputTests
{
    private static readonly long[] LeNetInput = { 1, 28, 28 };

    private static CompressionModel LeNet() => ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());

    private static (CompressionModel Model, List<string> Warnings) SlimWithWarnings(CompressionModel input, double ratio, params (string Key, object? Value)[] more)
    {
        var warnings = new List<string>();
        var s = new StepSettings("prune").Set("ratio", ratio).Set("method", "filter").Set("slim", true);
        foreach (var (k, v) in more) s.Set(k, v);
        return (OperationRunner.Run("prune", input, s, null, new OperationContext { Warning = warnings.Add }), warnings);
    }

    [PyTorchFact]
    public void A_grouped_convolution_stays_dense_and_is_listed()
    {
        using var model = Load("grouped:classes=10,size=16");
        var (slimmed, warnings) = SlimWithWarnings(model, 0.5, ("input-shape", new long[] { 3, 16, 16 }));
        using (slimmed)
        {
            var warning = Assert.Single(warnings);
            Assert.Contains("conv1", warning);
            Assert.Contains("grouped convolution conv2 (groups=2)", warning);
            var rows = Report(slimmed);
            Assert.Equal((8L, 8L), (rows.Single(r => r.Layer == "conv1").OutBefore, rows.Single(r => r.Layer == "conv1").OutAfter));
            Assert.StartsWith("left dense: grouped convolution conv2 (groups=2)", rows.Single(r => r.Layer == "conv1").Note);
            Assert.Equal((16L, 8L), (rows.Single(r => r.Layer == "conv3").OutBefore, rows.Single(r => r.Layer == "conv3").OutAfter));
            var left = (OrderedSettings)slimmed.History[^1].Results["left"]!;
            Assert.Contains("conv1", left.Keys);
        }
    }

    [Fact]
    public void A_ratio_that_would_empty_a_layer_keeps_one_channel_and_says_so()
    {
        using var model = LeNet();
        var (slimmed, warnings) = SlimWithWarnings(model, 0.95, ("input-shape", LeNetInput));
        using (slimmed)
        {
            Assert.Equal(new long[] { 1, 1, 5, 5 }, TensorOf(slimmed, "conv1.weight").shape);
            Assert.Contains("minimum one channel kept", Report(slimmed).Single(r => r.Layer == "conv1").Note);
            Assert.Contains(warnings, w => w.Contains("every channel of conv1") && w.Contains("one channel of each is kept"));
        }
    }

    [Fact]
    public void The_cap_and_the_selection_limit_what_is_removed()
    {
        using var model = LeNet();
        using var capped = Slim(model, 0.9, "filter", ("input-shape", LeNetInput), ("max-layer-sparsity", 0.5));
        Assert.Equal(3, TensorOf(capped, "conv1.weight").shape[0]);
        Assert.Equal(8, TensorOf(capped, "conv2.weight").shape[0]);
        Assert.Contains("capped at 50%", Report(capped).Single(r => r.Layer == "conv2").Note);
        using var selected = Slim(model, 0.5, "filter", ("input-shape", LeNetInput), ("exclude", new[] { "conv1.*" }));
        Assert.Equal(6, TensorOf(selected, "conv1.weight").shape[0]);
        Assert.Equal(8, TensorOf(selected, "conv2.weight").shape[0]);
        Assert.Contains("not selected by include/exclude (conv1.weight)", Report(selected).Single(r => r.Layer == "conv1").Note);
    }

    [PyTorchFact]
    public void A_model_whose_code_is_not_understood_gets_a_clear_error_and_stays_as_it_was()
    {
        foreach (var spec in new[] { "unknown_op:classes=10,size=16", "data_branch:classes=10,size=16" })
        {
            using var model = Load(spec);
            var before = Snapshot(model);
            var e = Assert.Throws<EngineException>(() => Slim(model, 0.5, more: ("input-shape", new long[] { 3, 16, 16 })));
            Assert.Equal("ModelStructureNotUnderstood", e.ErrorId);
            Assert.Equal(EngineErrorKind.NotSupported, e.Kind);
            Assert.Matches(@"torch\.(cumsum|gt)", e.Message);
            AssertSameState(before, model);
            Assert.Empty(model.History);
        }
    }

    [Fact]
    public void Cancelling_stops_slimming_and_leaves_the_input_as_it_was()
    {
        using var model = LeNet();
        var before = Snapshot(model);
        using var stop = new CancellationTokenSource();
        var progress = new List<string>();
        var context = new OperationContext
        {
            Cancellation = stop.Token,
            Progress = new Reporter(p => { progress.Add(p.Status); if (p.PercentComplete >= 20) stop.Cancel(); }),
        };
        var settings = new StepSettings("prune").Set("ratio", 0.5).Set("method", "filter").Set("slim", true).Set("input-shape", LeNetInput);
        Assert.ThrowsAny<OperationCanceledException>(() => OperationRunner.Run("prune", model, settings, null, context));
        Assert.Contains(progress, p => p.StartsWith("Analysing the structure", StringComparison.Ordinal));
        AssertSameState(before, model);
        Assert.Empty(model.History);
    }

    private sealed class Reporter : IProgress<OperationProgress>
    {
        private readonly Action<OperationProgress> _report;
        public Reporter(Action<OperationProgress> report) => _report = report;
        public void Report(OperationProgress value) => _report(value);
    }

    [Fact]
    public void A_TorchScript_model_without_an_input_shape_is_asked_for_one()
    {
        using var model = LeNet();
        var e = Assert.Throws<EngineException>(() => Slim(model, 0.5));
        Assert.Equal("InputShapeRequired", e.ErrorId);
        Assert.Contains("-InputShape", e.Message);
    }

    [Theory]
    [InlineData("ratio", 1.0)]
    [InlineData("ratio", -0.1)]
    [InlineData("criterion", "max")]
    [InlineData("in-place", true)]
    [InlineData("input-shape", "1,0,28")]
    [InlineData("max-layer-sparsity", 0.0)]
    public void Bad_settings_are_refused_before_anything_runs(string key, object value)
    {
        using var model = LeNet();
        var settings = new StepSettings("prune").Set("ratio", 0.5).Set("method", "filter").Set("slim", true).Set("input-shape", new long[] { 1, 28, 28 }).Set(key, value);
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("prune", model, settings));
        Assert.Equal("InvalidStepSetting", e.ErrorId);
        Assert.Equal(key, e.Key);
    }

    [Theory]
    [InlineData("magnitude", "slim")]
    [InlineData("nm", "slim")]
    [InlineData("filter", "input-shape")]
    public void Slimming_settings_belong_to_slimming(string method, string key)
    {
        using var model = LeNet();
        var settings = new StepSettings("prune").Set("method", method);
        if (method != "nm") settings.Set("ratio", 0.5);
        settings.Set(key, key == "slim" ? true : new long[] { 1, 28, 28 });
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("prune", model, settings));
        Assert.Equal(key, e.Key);
    }
}
