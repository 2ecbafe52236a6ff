using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.FootprintBench;

/// <summary>
/// Prunes and quantizes for the benchmark in the engine's representation (zeroed weights with 0/1 masks;
/// quantization records with values rounded to the storage type; int8 per output channel, values q * scale).
/// Layer-wise magnitude pruning of every weight tensor (dim &gt; 1); biases and batch norm stay dense.
/// </summary>
internal static class BenchCompression
{
    public static void Prune(CompressionModel model, double ratio)
    {
        if (ratio <= 0) return;
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Tensor.dim() > 1).ToList())
        {
            using var scope = NewDisposeScope();
            var abs = p.abs().flatten();
            long k = (long)Math.Round(ratio * abs.numel());
            var mask = (p.abs() > abs.kthvalue(k, 0, false).values).to(p.dtype);
            p.mul_(mask);
            model.Masks[name] = mask.detach().clone().MoveToOuterDisposeScope();
        }
    }

    public static void Quantize(CompressionModel model, StorageType type)
    {
        if (type == StorageType.Float32) return;
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedParameters().ToList())
        {
            using var scope = NewDisposeScope();
            if (type is StorageType.Float16 or StorageType.BFloat16)
            {
                p.copy_(p.to(type == StorageType.Float16 ? ScalarType.Float16 : ScalarType.BFloat16).to(p.dtype));
                model.Quantization[name] = new QuantizationState(type);
            }
            else if (type == StorageType.Int8 && p.dim() > 1)
            {
                var scale = p.abs().flatten(1).amax(new long[] { 1 }).clamp_min(1e-8) / 127;
                var view = scale.reshape(new long[] { -1 }.Concat(Enumerable.Repeat(1L, (int)p.dim() - 1)).ToArray());
                p.copy_((p / view).round().clamp(-128, 127) * view);
                model.Quantization[name] = new QuantizationState(StorageType.Int8, scale.detach().clone().MoveToOuterDisposeScope(), 0);
            }
        }
    }
}
