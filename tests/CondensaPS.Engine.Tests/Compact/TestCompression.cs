using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

/// <summary>
/// Makes sparse and quantized models for the compact-format tests in the representation the prune and quantize
/// operations use: pruned weights are zero with a 0/1 mask; quantized parameters hold the values they round to, with
/// a quantization record (int8: per-channel scales along axis 0, values q * scale).
/// </summary>
internal static class TestCompression
{
    /// <summary>Magnitude-prunes every weight (dim &gt; 1) to <paramref name="ratio"/> and records masks.</summary>
    public static void Prune(CompressionModel model, double ratio)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Tensor.dim() > 1).ToList())
        {
            using var scope = NewDisposeScope();
            var abs = p.abs().flatten();
            long k = (long)Math.Round(ratio * abs.numel());
            var mask = k == 0 ? ones_like(p) : (p.abs() > abs.kthvalue(k, 0, false).values).to(p.dtype);
            p.mul_(mask);
            model.Masks[name] = mask.detach().clone().MoveToOuterDisposeScope();
        }
    }

    public static void Quantize(CompressionModel model, StorageType type, bool perChannel = true)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters().ToList())
        {
            using var scope = NewDisposeScope();
            switch (type)
            {
                case StorageType.Float16 or StorageType.BFloat16:
                    p.copy_(p.to(type == StorageType.Float16 ? ScalarType.Float16 : ScalarType.BFloat16).to(p.dtype));
                    model.Quantization[name] = new QuantizationState(type);
                    break;
                case StorageType.Int8 when p.dim() > 1:
                    Tensor scale;
                    int axis;
                    if (perChannel)
                    {
                        scale = p.abs().flatten(1).amax(new long[] { 1 }).clamp_min(1e-8) / 127;
                        axis = 0;
                    }
                    else
                    {
                        scale = (p.abs().max().clamp_min(1e-8) / 127).reshape(Array.Empty<long>());
                        axis = -1;
                    }
                    var view = axis == 0 ? scale.reshape(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)p.dim() - 1)).ToArray()) : scale;
                    var q = (p / view).round().clamp(-128, 127);
                    p.copy_(q * view);
                    model.Quantization[name] = new QuantizationState(StorageType.Int8, scale.detach().clone().MoveToOuterDisposeScope(), axis);
                    break;
            }
        }
    }
}
