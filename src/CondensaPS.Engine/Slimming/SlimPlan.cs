using CondensaPS.Engine.Pruning;
using CondensaPS.Engine.Structure;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// What slimming removes from a model: for each group of coupled channels whether it may be slimmed and which channels
/// it keeps, and from that, for every tensor dimension those channels index, the indices that stay (a consumer's
/// input columns follow each segment it reads, blocks of features included).
/// </summary>
internal sealed class SlimPlan
{
    private SlimPlan(ModelStructure structure, IReadOnlyList<GroupDecision> groups, IReadOnlyDictionary<(string Tensor, int Dim), long[]> indices)
    {
        Structure = structure;
        Groups = groups;
        Indices = indices;
    }

    public ModelStructure Structure { get; }
    public IReadOnlyList<GroupDecision> Groups { get; }
    /// <summary>For each (tensor, dimension) that shrinks, the indices kept along it, ascending.</summary>
    public IReadOnlyDictionary<(string Tensor, int Dim), long[]> Indices { get; }

    public bool IsEmpty => Indices.Count == 0;

    /// <summary>The kept channels of the group a space belongs to (all of them when the group is left alone).</summary>
    public long[] KeptOf(ChannelSpace space) => Groups.FirstOrDefault(g => ReferenceEquals(g.Group, space.Root))?.Kept
        ?? Enumerable.Range(0, (int)space.Size).Select(i => (long)i).ToArray();

    public static SlimPlan Make(ModelStructure structure, PruneOptions options, Func<string, Tensor?> tensors)
    {
        var graph = structure.Graph;
        var layers = graph.Layers.GroupBy(l => l.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var selector = options.Selector;
        var decisions = new List<GroupDecision>();
        foreach (var root in graph.Groups)
        {
            if (root.Members.Count == 0) continue;
            var producers = root.Members.Where(m => m.Role == MemberRole.Producer).Select(m => m.Layer).Distinct().ToList();
            var d = new GroupDecision(root, producers);
            decisions.Add(d);
            d.LeftBecause = WhyLeft(root, producers, layers, graph, options, selector);
            d.Eligible = d.LeftBecause is null;
            if (d.Eligible) d.Scores = GroupImportance.Score(root, tensors, options.PruneCriterion == PruneCriterion.L2 ? 2 : 1);
        }
        ChannelSelection.Choose(decisions, options.PruneRatio, options.PruneScope, options.LayerSparsityCap, options.AlignTo);
        return new SlimPlan(structure, decisions, IndexPlan(graph, decisions));
    }

    private static string? WhyLeft(ChannelSpace root, IReadOnlyList<string> producers, IReadOnlyDictionary<string, LayerNode> layers,
        ChannelGraph graph, PruneOptions options, ParameterSelector selector)
    {
        if (root.FixedReasons.Count > 0) return string.Join("; ", root.FixedReasons);
        if (producers.Count == 0) return "no convolution or linear layer makes these channels";
        var kinds = producers.Select(p => layers.TryGetValue(p, out var l) ? l.Kind : LayerKind.Convolution).ToList();
        if (options.PruneMethod == PruneMethod.Filter && !kinds.Any(k => k == LayerKind.Convolution))
            return "made by linear layers: method filter slims convolution filters (method neuron slims linear layers)";
        if (options.PruneMethod == PruneMethod.Neuron && !kinds.Any(k => k == LayerKind.Linear))
            return "made by convolutions: method neuron slims linear layers (method filter slims convolution filters)";
        var unselected = producers.Where(p => layers.TryGetValue(p, out var l) && !selector.Matches(l.Weight)).ToList();
        if (unselected.Count > 0)
            return $"not selected by include/exclude ({string.Join(", ", unselected.Select(p => layers[p].Weight))})";
        // A depthwise convolution on these channels spells its groups in the code; slimming rewrites that literal as
        // torch.size(weight, 0), which is right only if every call through it is depthwise and names its weight.
        foreach (var layer in graph.Layers.Where(l => l.Kind == LayerKind.DepthwiseConvolution && l.Input.Spaces.Any(s => ReferenceEquals(s.Root, root))))
        {
            if (layer.GroupsFollowWeight) continue;
            if (layer.GroupsLiteral is not { } site || layer.WeightArgument is null)
                return $"depthwise convolution {layer.Name} computes its groups in a way slimming cannot rewrite ({layer.Site})";
            var sharing = graph.Layers.Where(l => l.GroupsLiteral == site).ToList();
            if (sharing.Any(l => l.Kind != LayerKind.DepthwiseConvolution || l.WeightArgument != layer.WeightArgument))
                return $"the groups of depthwise convolution {layer.Name} are spelled at {site}, which other convolutions share";
        }
        return null;
    }

    /// <summary>Index lists for every (tensor, dimension) that a slimmed group indexes, taking every segment of that dimension into account.</summary>
    private static Dictionary<(string, int), long[]> IndexPlan(ChannelGraph graph, IReadOnlyList<GroupDecision> decisions)
    {
        var decisionOf = decisions.ToDictionary(d => d.Group);
        var byDimension = new Dictionary<(string, int), List<(SpaceMember Member, ChannelSpace Root)>>();
        foreach (var d in decisions)
            foreach (var m in d.Group.Members)
            {
                if (!byDimension.TryGetValue((m.Tensor, m.Dim), out var list)) byDimension[(m.Tensor, m.Dim)] = list = new();
                list.Add((m, d.Group));
            }
        var plan = new Dictionary<(string, int), long[]>();
        foreach (var (key, members) in byDimension)
        {
            if (!members.Any(m => decisionOf[m.Root].IsSlimmed)) continue;
            var indices = new List<long>();
            foreach (var (member, root) in members.GroupBy(m => m.Member.Offset).Select(g => g.First()).OrderBy(m => m.Member.Offset))
                foreach (var c in decisionOf[root].Kept)
                    for (long j = 0; j < member.Block; j++)
                        indices.Add(member.Offset + c * member.Block + j);
            plan[key] = indices.ToArray();
        }
        return plan;
    }
}
