using static TorchSharp.torch;

namespace CondensaPS.Engine.Models;

/// <summary>Bit-for-bit comparison of two models' parameters, buffers, masks and quantization records.</summary>
public static class ModelComparison
{
    public static bool Identical(CompressionModel a, CompressionModel b) => Differences(a, b).Count == 0;

    /// <summary>The names of everything that differs (empty when the models are identical).</summary>
    public static IReadOnlyList<string> Differences(CompressionModel a, CompressionModel b)
    {
        var differences = new List<string>();
        Compare(a.NamedParameters().Concat(a.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor),
                b.NamedParameters().Concat(b.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor), "", differences);
        Compare(a.Masks, b.Masks, "mask ", differences);
        foreach (var name in a.Quantization.Keys.Union(b.Quantization.Keys))
        {
            if (!a.Quantization.TryGetValue(name, out var qa) || !b.Quantization.TryGetValue(name, out var qb))
                differences.Add($"quantization {name}: only in one model");
            else if (qa.Type != qb.Type || qa.Axis != qb.Axis || qa.Bits != qb.Bits
                     || !SameOrBothNull(qa.Scale, qb.Scale) || !SameOrBothNull(qa.Codebook, qb.Codebook)
                     || !SameIndices(qa.Indices, qb.Indices, a.Masks.GetValueOrDefault(name)))
                differences.Add($"quantization {name}");
        }
        return differences;
    }

    private static void Compare(IReadOnlyDictionary<string, Tensor> a, IReadOnlyDictionary<string, Tensor> b, string prefix, List<string> differences)
    {
        foreach (var name in a.Keys.Union(b.Keys))
        {
            if (!a.TryGetValue(name, out var ta) || !b.TryGetValue(name, out var tb))
                differences.Add($"{prefix}{name}: only in one model");
            else if (!Same(ta, tb))
                differences.Add($"{prefix}{name}");
        }
    }

    private static bool SameOrBothNull(Tensor? a, Tensor? b) => a is null ? b is null : b is not null && Same(a, b);

    /// <summary>Cluster indices where the mask keeps the weight: a pruned weight's index means nothing (the compact format does not store it).</summary>
    private static bool SameIndices(Tensor? a, Tensor? b, Tensor? mask)
    {
        if (a is null || b is null || mask is null || !a.shape.SequenceEqual(b.shape) || !a.shape.SequenceEqual(mask.shape)) return SameOrBothNull(a, b);
        using var scope = NewDisposeScope();
        var kept = mask.cpu().ne(0);
        return Same(a.cpu().masked_select(kept), b.cpu().masked_select(kept));
    }

    private static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var scope = NewDisposeScope();
        return a.cpu().eq(b.cpu()).all().item<bool>();
    }
}
