using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>Cuts tensors, masks and int8 scales down to a plan's kept indices.</summary>
internal static class TensorSlicing
{
    /// <summary>The plan's index lists by tensor: (dimension, kept indices), dimensions ascending.</summary>
    public static Dictionary<string, List<(int Dim, long[] Indices)>> ByTensor(SlimPlan plan) =>
        plan.Indices.GroupBy(kv => kv.Key.Tensor)
            .ToDictionary(g => g.Key, g => g.Select(kv => (kv.Key.Dim, kv.Value)).OrderBy(x => x.Dim).ToList(), StringComparer.Ordinal);

    /// <summary>A contiguous copy of <paramref name="t"/> keeping only the given indices along each dimension.</summary>
    public static Tensor Take(Tensor t, IReadOnlyList<(int Dim, long[] Indices)> dims)
    {
        using var scope = NewDisposeScope();
        var result = t;
        foreach (var (dim, indices) in dims)
        {
            using var index = tensor(indices, dtype: ScalarType.Int64, device: t.device);
            result = result.index_select(dim, index);
        }
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Masks are cut like their weights; a per-channel int8 scale along a cut dimension keeps the kept channels' scales.</summary>
    public static void SliceMasksAndScales(CompressionModel model, SlimPlan plan)
    {
        using var _ = no_grad();
        foreach (var (name, dims) in ByTensor(plan))
        {
            if (model.Masks.TryGetValue(name, out var mask))
            {
                model.Masks[name] = Take(mask, dims);
                mask.Dispose();
            }
            if (model.Quantization.TryGetValue(name, out var q) && q.Scale is { } scale && q.Axis >= 0 && dims.Any(d => d.Dim == q.Axis))
            {
                var index = dims.First(d => d.Dim == q.Axis).Indices;
                using var idx = tensor(index, dtype: ScalarType.Int64, device: scale.device);
                model.Quantization[name] = new QuantizationState(q.Type, scale.index_select(0, idx).contiguous(), q.Axis);
                q.Dispose();
            }
        }
    }
}
