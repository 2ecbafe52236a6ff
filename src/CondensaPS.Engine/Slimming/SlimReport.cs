using CondensaPS.Engine.Structure;

namespace CondensaPS.Engine.Slimming;

/// <summary>Writes the per-layer rows of a slimming step from its plan and the structures before and after.</summary>
internal static class SlimReport
{
    public static List<SlimmedLayer> Layers(SlimPlan plan, ModelStructure after)
    {
        var macsAfter = after.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.Sum(l => l.Macs), StringComparer.Ordinal);
        var decisionOf = plan.Groups.ToDictionary(g => g.Group);
        var rows = new List<SlimmedLayer>();
        foreach (var layer in plan.Structure.Graph.Layers)
        {
            var root = layer.Output.Root;
            decisionOf.TryGetValue(root, out var d);
            long outAfter = plan.KeptOf(layer.Output).Length;
            long inAfter = layer.Kind == LayerKind.DepthwiseConvolution
                ? outAfter
                : layer.Input.Segments.Sum(s => plan.KeptOf(s.Space).Length * s.Block);
            if (layer.Kind == LayerKind.GroupedConvolution || layer.Kind == LayerKind.TransposedConvolution) inAfter = layer.InChannels;
            rows.Add(new SlimmedLayer(layer.Name, Kind(layer.Kind), layer.InChannels, inAfter, layer.OutChannels, outAfter,
                layer.Macs, macsAfter.GetValueOrDefault(layer.Name, layer.Macs), Note(layer, d, outAfter, inAfter, plan)));
        }
        return rows;
    }

    private static string Kind(LayerKind kind) => kind switch
    {
        LayerKind.Convolution => "conv",
        LayerKind.DepthwiseConvolution => "depthwise conv",
        LayerKind.GroupedConvolution => "grouped conv",
        LayerKind.TransposedConvolution => "transposed conv",
        LayerKind.Linear => "linear",
        _ => kind.ToString(),
    };

    private static string Note(LayerNode layer, GroupDecision? d, long outAfter, long inAfter, SlimPlan plan)
    {
        var parts = new List<string>();
        string unit = layer.Kind == LayerKind.Linear ? "neurons" : "filters";
        if (layer.Kind == LayerKind.DepthwiseConvolution)
        {
            var makers = d?.Producers ?? Array.Empty<string>();
            parts.Add($"depthwise: follows the channels of {(makers.Count > 0 ? string.Join(", ", makers) : "its input")}");
        }
        else if (d is null) parts.Add("left as it is");
        else if (d.IsSlimmed) parts.Add($"removed {layer.OutChannels - outAfter} of {layer.OutChannels} {unit}");
        else if (d.Eligible) parts.Add($"kept all {layer.OutChannels} {unit}");
        else parts.Add($"left dense: {d.LeftBecause}");
        if (d is not null && layer.Kind != LayerKind.DepthwiseConvolution)
        {
            var others = d.Producers.Where(p => p != layer.Name).ToList();
            if (others.Count > 0)
                parts.Add($"coupled with {string.Join(", ", others)}" + (d.Group.Couplings.Count > 0 ? $" ({string.Join("; ", d.Group.Couplings.Take(3))}{(d.Group.Couplings.Count > 3 ? "; ..." : "")})" : ""));
            else if (d.Group.Couplings.Count > 0)
                parts.Add($"coupled: {string.Join("; ", d.Group.Couplings.Take(3))}");
            if (d.IsSlimmed || d.Eligible) parts.AddRange(d.Notes);
        }
        if (inAfter != layer.InChannels) parts.Add($"inputs {layer.InChannels} -> {inAfter} with the layers before");
        return string.Join("; ", parts);
    }
}
