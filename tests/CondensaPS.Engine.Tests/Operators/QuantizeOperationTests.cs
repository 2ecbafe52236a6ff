using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Operators;

public class QuantizeOperationTests
{
    [Theory]
    [InlineData("per-channel")]
    [InlineData("per-tensor")]
    public void Int8_round_trip_error_is_within_half_a_step(string granularity)
    {
        using var input = LeNet();
        var before = Snapshot(input);
        using var output = Run("quantize", input, ("type", "int8"), ("granularity", granularity));
        AssertSameState(before, input);
        foreach (var (name, w) in Weights(output))
        {
            var q = output.Quantization[name];
            Assert.Equal(StorageType.Int8, q.Type);
            var scale = q.Scale!;
            if (granularity == "per-channel")
            {
                Assert.Equal(0, q.Axis);
                Assert.Equal(new[] { w.shape[0] }, scale.shape);
            }
            else
            {
                Assert.Equal(-1, q.Axis);
                Assert.Equal(0, scale.dim());
            }
            var s = scale.dim() == 0 ? scale : scale.reshape(w.dim() == 4 ? new[] { w.shape[0], 1L, 1L, 1L } : new[] { w.shape[0], 1L });
            var levels = w / s;
            Assert.True(levels.sub(levels.round()).abs().max().item<float>() < 1e-3f, "values are q * scale");
            Assert.True(levels.abs().max().item<float>() <= 127.001f);
            var error = before[name].sub(w).abs();
            Assert.True(error.sub(s / 2).max().item<float>() <= 1e-6f, $"{name}: error beyond half a step");
        }
        Assert.True(Same(before["fc1.bias"], output.Parameter("fc1.bias")));
        Assert.Equal("int8", output.DType);
    }

    [Fact]
    public void Float16_rounds_floating_tensors_and_keeps_integer_buffers()
    {
        using var input = TinyTorchScript();
        var before = Snapshot(input);
        using var output = Run("quantize", input, ("type", "float16"));
        AssertSameState(before, input);
        foreach (var (name, t) in output.NamedParameters().Concat(output.NamedBuffers()))
        {
            if (t.is_floating_point())
            {
                Assert.Equal(ScalarType.Float32, t.dtype);
                Assert.True(Same(before[name].to(ScalarType.Float16).to(ScalarType.Float32), t), name);
                Assert.Equal(StorageType.Float16, output.Quantization[name].Type);
            }
            else
            {
                Assert.Equal(ScalarType.Int64, t.dtype);
                Assert.True(Same(before[name], t));
            }
        }
        Assert.Contains(output.NamedBuffers(), b => b.Name == "bn1.num_batches_tracked");
        Assert.Equal("float16", output.DType);
        using var y = output.Forward(randn(1, 3, 16, 16));
        Assert.Equal(10, y.shape[1]);
    }

    [Fact]
    public void BFloat16_rounds_through_bfloat16()
    {
        using var input = Mlp();
        using var output = Run("quantize", input, ("type", "bfloat16"));
        foreach (var (name, t) in output.NamedParameters())
            Assert.True(Same(input.Parameter(name).to(ScalarType.BFloat16).to(ScalarType.Float32), t));
        Assert.Equal("bfloat16", output.DType);
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("float16")]
    public void Pruning_and_quantization_compose_in_either_order(string type)
    {
        using var input = LeNet();
        using var pruned = Run("prune", input, ("ratio", 0.6));
        using var prunedThenQuantized = Run("quantize", pruned, ("type", type));
        foreach (var (name, w) in Weights(prunedThenQuantized))
            Assert.True(Same(pruned.Parameter(name).eq(0), w.eq(0)), $"{name}: zeros moved");
        Assert.Equal(pruned.NonZeros, prunedThenQuantized.NonZeros);

        using var quantized = Run("quantize", input, ("type", type));
        using var quantizedThenPruned = Run("prune", quantized, ("ratio", 0.6));
        foreach (var (name, w) in Weights(quantizedThenPruned))
        {
            var q = quantizedThenPruned.Quantization[name];
            Assert.Equal(type == "int8" ? StorageType.Int8 : StorageType.Float16, q.Type);
            // Surviving values are unchanged quantized values.
            var kept = w.ne(0);
            Assert.True(Same(w.masked_select(kept), quantized.Parameter(name).masked_select(kept)));
            if (q.Scale is { } scale)
            {
                var levels = w / (scale.dim() == 0 ? scale : scale.reshape(w.dim() == 4 ? new[] { w.shape[0], 1L, 1L, 1L } : new[] { w.shape[0], 1L }));
                Assert.True(levels.sub(levels.round()).abs().max().item<float>() < 1e-3f);
            }
        }
        long n = Weights(quantizedThenPruned).Sum(w => w.Tensor.numel());
        Assert.True(Weights(quantizedThenPruned).Sum(w => Zeros(w.Tensor)) >= (long)Math.Round(0.6 * n));
    }

    [Fact]
    public void Bad_quantize_settings_name_the_setting()
    {
        using var input = Mlp();
        Assert.Equal("type", Assert.Throws<StepSettingException>(() => Run("quantize", input)).Key);
        Assert.Equal("type", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "int4"))).Key);
        Assert.Equal("granularity", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "float16"), ("granularity", "per-tensor"))).Key);
        Assert.Equal("granularity", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "int8"), ("granularity", "per-row"))).Key);
    }
}
