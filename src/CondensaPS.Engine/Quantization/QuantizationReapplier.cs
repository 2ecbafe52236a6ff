using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// Rounds a parameter again to the storage type its model records for it, after training changed it: int8 with fresh
/// scales at the recorded granularity, float16/bfloat16 through that type, a clustered one to the mean of each
/// cluster (assignments hold). Float16, bfloat16 and int8 round to nearest, or stochastically with a generator; a
/// clustered tensor is averaged, never rounded (its codebook is float32). The mask is re-applied afterwards.
/// </summary>
internal static class QuantizationReapplier
{
    public static void Reapply(CompressionModel model, string name, Tensor tensor, Rounding rounding = Rounding.Nearest, TorchSharp.torch.Generator? generator = null)
    {
        if (!model.Quantization.TryGetValue(name, out var state)) return;
        if (rounding == Rounding.Stochastic && generator is null) throw new ArgumentNullException(nameof(generator), "Stochastic rounding needs a generator.");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        bool stochastic = rounding == Rounding.Stochastic;
        switch (state.Type)
        {
            case StorageType.Int8 when stochastic:
            {
                var scale = Int8Quantizer.Scales(tensor, state.Axis == 0);
                var levels = StochasticRounding.Int8Levels(tensor, scale, generator!);
                tensor.copy_(levels.mul(Int8Quantizer.Broadcast(scale, tensor)));
                var kept = scale.to(ScalarType.Float32).contiguous();
                kept.DetachFromDisposeScope();
                model.Quantization[name] = new QuantizationState(StorageType.Int8, kept, state.Axis);
                state.Dispose();
                break;
            }
            case StorageType.Float16 or StorageType.BFloat16 when stochastic:
                tensor.copy_(StochasticRounding.ToFloat(tensor, state.Type, generator!));
                break;
            case StorageType.Int8:
                var scale8 = Int8Quantizer.QuantizeInPlace(tensor, state.Axis == 0);
                var kept8 = scale8.to(ScalarType.Float32).contiguous();
                kept8.DetachFromDisposeScope();
                model.Quantization[name] = new QuantizationState(StorageType.Int8, kept8, state.Axis);
                state.Dispose();
                break;
            case StorageType.Float16:
                tensor.copy_(tensor.to(ScalarType.Float16).to(tensor.dtype));
                break;
            case StorageType.BFloat16:
                tensor.copy_(tensor.to(ScalarType.BFloat16).to(tensor.dtype));
                break;
            case StorageType.Cluster:
                ClusterQuantizer.Reapply(tensor, state, model.Masks.GetValueOrDefault(name));
                break;
        }
        if (model.Masks.TryGetValue(name, out var mask)) tensor.mul_(mask);
    }

    /// <summary>Rounds quantized buffers (batch-norm statistics, which training forwards update) to their storage type again.</summary>
    public static void ReapplyBuffers(CompressionModel model)
    {
        if (model.Quantization.Count == 0) return;
        foreach (var (name, buffer) in model.NamedBuffers().ToList())
            Reapply(model, name, buffer);
    }

    public static void ReapplyAll(CompressionModel model)
    {
        foreach (var (name, tensor) in model.NamedParameters().Concat(model.NamedBuffers()).ToList())
            Reapply(model, name, tensor);
    }
}
