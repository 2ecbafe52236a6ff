using CondensaPS.Engine.Architectures;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// Reads a built-in architecture's per-layer widths off a weights file's tensors (the first dimension of each
/// layer's weight), so that the weights of a slimmed model (from CondensaPS or from another tool that keeps
/// torchvision's names) import into the narrower architecture they belong to.
/// </summary>
internal static class StateDictWidths
{
    /// <summary>
    /// The spec with the widths the tensors show, or null when they show the spec's own widths or widths that cannot
    /// be one model of the architecture (coupled layers differ: weights of another architecture, most likely).
    /// </summary>
    public static ArchitectureSpec? Infer(ArchitectureSpec spec, IReadOnlyDictionary<string, Tensor> state)
    {
        var current = spec.LayerWidths();
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in spec.Layout().Layers)
            if (state.TryGetValue(layer + ".weight", out var weight) && weight.dim() >= 1 && weight.shape[0] != current[layer])
                found[layer] = (int)weight.shape[0];
        if (found.Count == 0) return null;
        try
        {
            return spec.WithWidths(found);
        }
        catch (EngineException e) when (e.ErrorId is "InconsistentLayerWidths" or "InvalidLayerWidth")
        {
            return null;
        }
    }
}
