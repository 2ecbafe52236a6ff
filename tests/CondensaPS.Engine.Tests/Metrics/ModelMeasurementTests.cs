using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Compact;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Metrics;

public class ModelMeasurementTests
{
    private static readonly ModelMeasurementOptions Quick = new() { BatchSize = 4, Iterations = 5, Warmup = 1 };

    private static CompressionModel NewLeNet() => ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 1 });

    [Fact]
    public void Figures_are_sane_and_the_model_is_untouched()
    {
        using var model = NewLeNet();
        TestCompression.Prune(model, 0.8);
        var before = model.NamedParameters().Select(p => p.Tensor.clone()).ToList();
        var m = ModelMeasurementRunner.Measure(model, Quick);
        Assert.True(m.LatencyP50Ms > 0);
        Assert.True(m.LatencyP50Ms <= m.LatencyP95Ms);
        Assert.True(m.Throughput > 0);
        Assert.True(m.TrainingThroughput > 0);
        Assert.True(m.TrainingStepP50Ms > 0);
        Assert.Equal(new long[] { 1, 28, 28 }, m.InputShape);
        Assert.Equal(model.Parameters, m.Parameters);
        Assert.Equal(model.NonZeros, m.NonZeros);
        Assert.Equal(model.DenseBytes, m.DenseBytes);
        Assert.Equal(model.Footprint().CompactBytes, m.CompactBytes);
        Assert.True(m.CompressionRatio > 2, $"ratio {m.CompressionRatio}");
        Assert.Null(m.Speedup);
        Assert.Null(m.SizeRatio);
        Assert.False(model.Module.training);
        foreach (var ((_, p), old) in model.NamedParameters().Zip(before)) Assert.True((p == old).all().item<bool>());
    }

    [Fact]
    public void A_reference_adds_speedup_and_size_ratio()
    {
        using var reference = NewLeNet();
        using var model = NewLeNet();
        TestCompression.Prune(model, 0.9);
        TestCompression.Quantize(model, StorageType.Float16);
        var m = ModelMeasurementRunner.Measure(model, Quick with { Training = false }, reference);
        Assert.Null(m.TrainingThroughput);
        Assert.Equal("lenet5", m.Reference);
        Assert.NotNull(m.ReferenceMeasurement);
        Assert.Equal(m.ReferenceMeasurement!.LatencyP50Ms / m.LatencyP50Ms, m.Speedup!.Value, 10);
        Assert.Equal((double)m.ReferenceMeasurement.CompactBytes / m.CompactBytes, m.SizeRatio!.Value, 10);
        Assert.True(m.SizeRatio > 5, $"size ratio {m.SizeRatio}");
    }

    [Fact]
    public void TorchScript_models_need_an_input_shape()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions());
        var e = Assert.Throws<EngineException>(() => ModelMeasurementRunner.Measure(model, Quick));
        Assert.Equal("InputShapeRequired", e.ErrorId);
        var m = ModelMeasurementRunner.Measure(model, Quick with { InputShape = new long[] { 1, 8, 8 } });
        Assert.True(m.TrainingThroughput > 0);
        var wrong = Assert.Throws<EngineException>(() => ModelMeasurementRunner.Measure(model, Quick with { InputShape = new long[] { 3, 9, 9 } }));
        Assert.Equal("InputShapeMismatch", wrong.ErrorId);
    }

    [Fact]
    public void Cancellation_stops_the_measurement()
    {
        using var model = NewLeNet();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ModelMeasurementRunner.Measure(model, Quick, context: new OperationContext { Cancellation = cts.Token }));
    }

    [Fact]
    public void Percentiles_use_the_nearest_rank()
    {
        var values = Enumerable.Range(1, 20).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(10, ModelMeasurementRunner.Percentile(values, 0.5));
        Assert.Equal(19, ModelMeasurementRunner.Percentile(values, 0.95));
        Assert.Equal(7, ModelMeasurementRunner.Percentile(new[] { 7.0 }, 0.95));
    }

    [Fact]
    public void The_measure_step_records_its_figures_and_leaves_the_input_alone()
    {
        using var model = NewLeNet();
        var settings = new StepSettings("measure").Set("batch-size", 2).Set("iterations", 3).Set("warmup", 0).Set("training", false);
        using var output = OperationRunner.Run("measure", model, settings);
        Assert.NotSame(model, output);
        Assert.Same(model, output.Reference);
        Assert.Empty(model.History);
        var step = Assert.Single(output.History);
        Assert.Equal("measure", step.Operation);
        Assert.Equal(2L, step.Settings["batch-size"]);
        Assert.True((double)step.Results["latency-p50-ms"]! <= (double)step.Results["latency-p95-ms"]!);
        Assert.True((double)step.Results["throughput"]! > 0);
        Assert.Null(step.Results["training-throughput"]);
        Assert.Equal(model.Parameters, step.Results["parameters"]);
        Assert.True((long)step.Results["compact-bytes"]! > 0);
        Assert.Equal(model.NonZeros, output.NonZeros);
    }

    [Fact]
    public void The_measure_step_rejects_bad_settings_by_key()
    {
        using var model = NewLeNet();
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("measure", model, new StepSettings("measure").Set("batch-size", 0)));
        Assert.Equal("batch-size", e.Key);
        e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("measure", model, new StepSettings("measure").Set("input-shape", new[] { 1, 0 })));
        Assert.Equal("input-shape", e.Key);
        e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("measure", model, new StepSettings("measure").Set("speed", true)));
        Assert.Equal("speed", e.Key);
    }
}
