using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Quantization;
using CondensaPS.Engine.Tests.Training;
using CondensaPS.Engine.Training;
using TorchSharp;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Quantization;

public class StochasticRoundingTests
{
    public StochasticRoundingTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(StorageType.Float16, ScalarType.Float16)]
    [InlineData(StorageType.BFloat16, ScalarType.BFloat16)]
    public void Float_rounding_lands_on_the_grid_between_the_neighbours_and_is_unbiased(StorageType type, ScalarType low)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        // Normal values of both signs and magnitudes, subnormals, zero, and values already on the grid.
        var x = cat(new[] { randn(2000, generator: g) * 3, randn(200, generator: g) * 1e-6f, tensor(new[] { 0f, 1f, -2f, 0.5f }) });
        var r = StochasticRounding.ToFloat(x, type, g);
        Assert.True(r.to(low).to(ScalarType.Float32).eq(r).all().item<bool>(), "not on the grid");
        // Within one grid step of x: at most |x| * 2^-fraction bits, or the subnormal spacing.
        float relative = type == StorageType.Float16 ? MathF.Pow(2, -10) : MathF.Pow(2, -7);
        float subnormal = type == StorageType.Float16 ? MathF.Pow(2, -24) : 1e-38f;
        Assert.True(((r - x).abs() <= x.abs() * relative + subnormal).all().item<bool>(), "more than a grid step away");
        Assert.True(r.narrow(0, x.shape[0] - 4, 4).eq(tensor(new[] { 0f, 1f, -2f, 0.5f })).all().item<bool>(), "grid values moved");

        // 1 + 0.3 step rounds up about 30% of the time, so the mean is 1 + 0.3 step.
        float step = type == StorageType.Float16 ? MathF.Pow(2, -10) : MathF.Pow(2, -7);
        var many = full(new long[] { 20000 }, 1f + 0.3f * step);
        var rounded = StochasticRounding.ToFloat(many, type, g);
        double up = rounded.gt(1f).to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(up, 0.28, 0.32);
        Assert.True(rounded.eq(1f).logical_or(rounded.eq(1f + step)).all().item<bool>());
        Assert.Equal(1 + 0.3 * step, rounded.to(ScalarType.Float64).mean().item<double>(), 4);
        // Beyond float16's range: nearest (infinity), as a cast.
        if (type == StorageType.Float16)
            Assert.True(float.IsPositiveInfinity(StochasticRounding.ToFloat(tensor(new[] { 70000f }), type, g).item<float>()));
    }

    [Fact]
    public void Int8_levels_are_whole_unbiased_and_clamped()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var w = full(new long[] { 10000, 1 }, 2.25f);
        var scale = tensor(new[] { 1f }).reshape(1)[0];
        var levels = StochasticRounding.Int8Levels(w, scale, g);
        Assert.True(levels.eq(2).logical_or(levels.eq(3)).all().item<bool>());
        Assert.InRange(levels.mean().item<float>(), 2.23f, 2.27f);
        Assert.Equal(127f, StochasticRounding.Int8Levels(full(new long[] { 5, 1 }, 300f), scale, g).max().item<float>());
        Assert.True(StochasticRounding.Int8Levels(full(new long[] { 5, 1 }, -4f), scale, g).eq(-4).all().item<bool>());
    }

    /// <summary>Without master weights, an update of a tenth of a step is lost to nearest rounding and kept, on average, by stochastic rounding.</summary>
    [Theory]
    [InlineData("float16", 10)]
    [InlineData("bfloat16", 7)]
    public void Without_masters_small_updates_survive_only_stochastic_rounding(string type, int fractionBits)
    {
        using var input = LeNet(3);
        using var model = Run("quantize", input, ("type", type));
        var w = model.Parameter("fc1.weight");
        using var before = w.detach().clone();
        // Each element's own grid step (normal numbers: 2^(floor(log2 |w|) - fraction bits)); tiny weights left out.
        using var normal = before.abs().ge(1e-3f);
        using var step = torch.pow(2f, before.abs().clamp_min(1e-3f).log2().floor() - fractionBits) * normal.to(ScalarType.Float32);
        double Moved(Rounding rounding)
        {
            using var masters = new QuantizedMasters(model, rounding, masters: false, seed: 7);
            using (no_grad()) { w.copy_(before); w.add_(step * 0.1f); }
            masters.AfterStep();
            using var _ = no_grad();
            return ((w - before) / step.clamp_min(1e-30f)).masked_select(normal).mean().item<float>();
        }
        Assert.Equal(0.0, Moved(Rounding.Nearest), 6);
        Assert.InRange(Moved(Rounding.Stochastic), 0.08, 0.12);
    }

    [Fact]
    public void Retraining_with_stochastic_rounding_keeps_weights_on_their_grid_and_is_reproducible()
    {
        using var reference = RetrainTestData.LeNet(11);
        using var pruned = Run("prune", reference, ("ratio", 0.5));
        using var half = Run("quantize", pruned, ("type", "bfloat16"));
        CompressionModel Tune() => OperationRunner.Run("retrain", half,
            new StepSettings("retrain").Set("epochs", 1L).Set("seed", 5L).Set("rounding", "stochastic").Set("master-weights", false),
            new OperationInputs { TrainingData = RetrainTestData.Train(128) });
        using var a = Tune();
        using var b = Tune();
        Assert.Empty(ModelComparison.Differences(a, b));
        foreach (var (name, t) in a.NamedParameters())
            Assert.True(Same(t.to(ScalarType.BFloat16).to(ScalarType.Float32), t), $"{name} is off the bfloat16 grid");
        Assert.NotEmpty(ModelComparison.Differences(half, a));
        Assert.Equal("stochastic", a.History[^1].Settings["rounding"]);
    }

    [Fact]
    public void Rounding_settings_apply_to_fine_tuning_only()
    {
        using var model = LeNet();
        Assert.Equal("rounding", Assert.Throws<StepSettingException>(() => RetrainOptions.From(new StepSettings("retrain").Set("method", "lc").Set("rounding", "stochastic"))).Key);
        Assert.Equal("master-weights", Assert.Throws<StepSettingException>(() => RetrainOptions.From(new StepSettings("retrain").Set("method", "lc").Set("master-weights", false))).Key);
        Assert.Equal("rounding", Assert.Throws<StepSettingException>(() => RetrainOptions.From(new StepSettings("retrain").Set("rounding", "up"))).Key);
    }
}

public class QuantizedBufferRetrainTests
{
    [Fact]
    public void Quantized_batch_norm_statistics_are_back_on_their_grid_after_retraining()
    {
        using var model = CondensaPS.Engine.Formats.ModelLoader.New(new CondensaPS.Engine.Formats.ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputChannels = 1, InputSize = 28, Seed = 3 });
        using var half = Run("quantize", model, ("type", "float16"));
        using var tuned = OperationRunner.Run("retrain", half, new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", 1L).Set("batch-size", 32L).Set("seed", 1L),
            new OperationInputs { TrainingData = RetrainTestData.Train(64) });
        var buffers = tuned.NamedBuffers().Where(b => b.Tensor.is_floating_point()).ToList();
        Assert.NotEmpty(buffers);
        Assert.Contains(buffers, b => !Same(b.Tensor, half.NamedBuffers().Single(h => h.Name == b.Name).Tensor));
        foreach (var (name, t) in buffers)
            Assert.True(Same(t.to(ScalarType.Float16).to(ScalarType.Float32), t), $"{name} is off the float16 grid");
        Assert.All(CondensaPS.Engine.Formats.Compact.ModelFootprint.Of(tuned).Tensors.Where(t => t.Name.EndsWith("running_var")), t => Assert.Equal(CondensaPS.Engine.Formats.Compact.ValueStorage.Float16, t.Storage));
    }
}
