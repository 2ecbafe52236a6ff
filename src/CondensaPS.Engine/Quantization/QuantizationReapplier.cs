using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// Rounds a parameter again to the storage type its model records for it, after training changed it: int8 with fresh
/// scales at the recorded granularity, float16/bfloat16 through that type, a clustered one to the mean of each
/// cluster (assignments hold). The mask is re-applied afterwards.
/// </summary>
internal static class QuantizationReapplier
{
    public static void Reapply(CompressionModel model, string name, Tensor tensor)
    {
        if (!model.Quantization.TryGetValue(name, out var state)) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        switch (state.Type)
        {
            case StorageType.Int8:
                var scale = Int8Quantizer.QuantizeInPlace(tensor, state.Axis == 0);
                var kept = scale.to(ScalarType.Float32).contiguous();
                kept.DetachFromDisposeScope();
                model.Quantization[name] = new QuantizationState(StorageType.Int8, kept, state.Axis);
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

    public static void ReapplyAll(CompressionModel model)
    {
        foreach (var (name, tensor) in model.NamedParameters().Concat(model.NamedBuffers()).ToList())
            Reapply(model, name, tensor);
    }
}
