using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

/// <summary>Asserts that two models are the same bit for bit where it matters: tensors, masks, quantization, outputs.</summary>
internal static class CompactAssert
{
    public static void SameModel(CompressionModel expected, CompressionModel actual, Tensor input)
    {
        var a = expected.NamedParameters().Concat(expected.NamedBuffers()).ToList();
        var b = actual.NamedParameters().Concat(actual.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor);
        Assert.Equal(a.Select(t => t.Name), actual.NamedParameters().Concat(actual.NamedBuffers()).Select(t => t.Name));
        foreach (var (name, t) in a)
        {
            Assert.Equal(t.dtype, b[name].dtype);
            Assert.True((t == b[name]).all().item<bool>(), $"tensor '{name}' differs");
        }
        Assert.Equal(expected.Masks.Keys.OrderBy(k => k), actual.Masks.Keys.OrderBy(k => k));
        foreach (var (name, mask) in expected.Masks)
        {
            Assert.Equal(mask.dtype, actual.Masks[name].dtype);
            Assert.True((mask == actual.Masks[name]).all().item<bool>(), $"mask '{name}' differs");
        }
        Assert.Equal(expected.Quantization.Keys.OrderBy(k => k), actual.Quantization.Keys.OrderBy(k => k));
        foreach (var (name, q) in expected.Quantization)
        {
            var r = actual.Quantization[name];
            Assert.Equal(q.Type, r.Type);
            Assert.Equal(q.Axis, r.Axis);
            Assert.Equal(q.Scale is null, r.Scale is null);
            if (q.Scale is not null) Assert.True((q.Scale == r.Scale!).all().item<bool>(), $"scales of '{name}' differ");
            Assert.Equal(q.Bits, r.Bits);
            Assert.Equal(q.Codebook is null, r.Codebook is null);
            if (q.Codebook is not null) Assert.True((q.Codebook == r.Codebook!).all().item<bool>(), $"codebook of '{name}' differs");
        }
        Assert.Empty(ModelComparison.Differences(expected, actual));
        using var _ = no_grad();
        using var outA = expected.Forward(input);
        using var outB = actual.Forward(input);
        Assert.True((outA == outB).all().item<bool>(), "outputs differ");
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.NonZeros, actual.NonZeros);
    }
}
