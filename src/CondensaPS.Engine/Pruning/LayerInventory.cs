using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>One parameter as Get-ModelLayer lists it. Bits: per stored value (32 float32, 16, 8, a cluster index's bits).</summary>
public sealed record LayerSummary(string Layer, string Parameter, string Kind, string Shape, long Parameters, long NonZeros,
    string DType, long Bytes, bool Masked, int Bits)
{
    public double Sparsity => Parameters == 0 ? 0 : 1.0 - (double)NonZeros / Parameters;
}

/// <summary>
/// Lists a model's compressible layers (convolution and linear weights, the default selection of the compression
/// steps), or every parameter, with shape, counts, sparsity, storage type and bytes at that type.
/// </summary>
public static class LayerInventory
{
    public static IReadOnlyList<LayerSummary> List(CompressionModel model, bool allParameters = false, IEnumerable<string>? include = null)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var selector = new ParameterSelector(include);
        var rows = new List<LayerSummary>();
        foreach (var (name, tensor) in model.NamedParameters())
        {
            bool compressible = ParameterSelector.IsCompressibleWeight(name, tensor);
            if (!allParameters && !compressible) continue;
            if (!selector.Matches(name)) continue;
            var kind = tensor.dim() switch
            {
                4 when compressible => "conv",
                2 when compressible => "linear",
                1 => name.EndsWith("bias", StringComparison.Ordinal) ? "bias" : "norm",
                _ => "other",
            };
            model.Quantization.TryGetValue(name, out var q);
            long bytes = q?.StorageBytes(tensor.numel()) ?? tensor.numel() * tensor.element_size();
            int dot = name.LastIndexOf('.');
            rows.Add(new LayerSummary(dot > 0 ? name[..dot] : name, name, kind, string.Join("x", tensor.shape), tensor.numel(),
                tensor.count_nonzero().item<long>(), q?.DisplayName ?? StorageType.Float32.ToDisplayName(), bytes, model.Masks.ContainsKey(name),
                q?.BitsPerValue ?? (int)tensor.element_size() * 8));
        }
        return rows;
    }
}
