using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// Makes a built-in architecture's linear and convolution layers, or, where its spec factorizes the layer, the
/// thinner layers that replace it (an nn.Sequential under the same name, as PyTorch would build it): SVD turns a
/// linear layer into Linear(in, r, no bias) then Linear(r, out) and a convolution into the same kernel with r filters
/// (no bias) then a 1x1 convolution to the outputs; Tucker-2 turns a convolution into 1x1 (in to r1), the kernel
/// (r1 to r2, the original stride and padding) and 1x1 (r2 to out). The bias, if any, is on the last part.
/// </summary>
internal static class FactorizableLayers
{
    public static nn.Module<Tensor, Tensor> Linear(ArchitectureSpec spec, string name, long inFeatures, long outFeatures, bool bias = true)
    {
        var f = spec.FactorizationOf(name);
        if (f is null) return nn.Linear(inFeatures, outFeatures, hasBias: bias);
        if (f.Kind != FactorizationKind.Svd)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, $"Linear layer '{name}' can only be factorized by SVD, not {f.Kind}.");
        return nn.Sequential(nn.Linear(inFeatures, f.Rank, hasBias: false), nn.Linear(f.Rank, outFeatures, hasBias: bias));
    }

    public static nn.Module<Tensor, Tensor> Conv2d(ArchitectureSpec spec, string name, long inChannels, long outChannels, long kernel,
        long stride = 1, long padding = 0, bool bias = true)
    {
        var f = spec.FactorizationOf(name);
        if (f is null) return nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: bias);
        return f.Kind == FactorizationKind.Svd
            ? nn.Sequential(
                nn.Conv2d(inChannels, f.Rank, kernel, stride: stride, padding: padding, bias: false),
                nn.Conv2d(f.Rank, outChannels, 1, bias: bias))
            : nn.Sequential(
                nn.Conv2d(inChannels, f.Rank, 1, bias: false),
                nn.Conv2d(f.Rank, f.OutputRank, kernel, stride: stride, padding: padding, bias: false),
                nn.Conv2d(f.OutputRank, outChannels, 1, bias: bias));
    }

    /// <summary>Refuses factorizations of layers the architecture does not have (a damaged or hand-written spec).</summary>
    public static void RequireKnown(ArchitectureSpec spec, IEnumerable<string> layers)
    {
        var known = layers.ToHashSet(StringComparer.Ordinal);
        var unknown = spec.Factorizations.Where(f => !known.Contains(f.Layer)).Select(f => f.Layer).ToList();
        if (unknown.Count > 0)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"{spec.Name} has no factorizable layer {string.Join(", ", unknown.Select(u => $"'{u}'"))}; its layers: {string.Join(", ", known)}.", spec.Name);
    }
}
