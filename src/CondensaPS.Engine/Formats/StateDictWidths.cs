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
    public static ArchitectureSpec Fit(ArchitectureSpec spec, IReadOnlyDictionary<string, Tensor> state, string source, Action<string> log)
    {
        var current = spec.LayerWidths();
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in spec.Layout().Layers)
            if (state.TryGetValue(layer + ".weight", out var weight) && weight.dim() >= 1 && weight.shape[0] != current[layer])
                found[layer] = (int)weight.shape[0];
        if (found.Count == 0) return spec;
        try
        {
            var fitted = spec.WithWidths(found);
            log($"'{source}' has narrower or wider layers than the default {spec.Name}: {string.Join(", ", found.Take(8).Select(f => $"{f.Key} {f.Value}"))}{(found.Count > 8 ? ", ..." : "")}; building it with those widths.");
            return fitted;
        }
        catch (EngineException e) when (e.ErrorId is "InconsistentLayerWidths" or "InvalidLayerWidth")
        {
            throw new EngineException("StateDictMismatch", EngineErrorKind.InvalidData,
                $"The weights in '{source}' do not fit architecture {spec}: {e.Message}", source, e);
        }
    }
}
