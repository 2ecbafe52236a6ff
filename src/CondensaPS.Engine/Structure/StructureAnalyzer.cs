using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// Runs the structure interpreter over a program for one input size and turns its channel graph into a
/// <see cref="ModelStructure"/>, after checking that every tensor dimension the groups index is covered exactly once.
/// </summary>
internal static class StructureAnalyzer
{
    public static ModelStructure Analyze(ScriptProgram program, IReadOnlyList<long> sampleShape, string modelName)
    {
        var interpreter = new ScriptInterpreter(program);
        object? output;
        try
        {
            output = interpreter.RunForward(new[] { 1L }.Concat(sampleShape).ToArray());
        }
        catch (StructureNotUnderstoodException e)
        {
            throw NotUnderstood(modelName, e.Construct, e.Where?.ToString(), e.Message);
        }
        catch (ScriptSyntaxException e)
        {
            throw NotUnderstood(modelName, "code", $"{e.File}:{e.Line}", e.Message);
        }
        var graph = interpreter.Graph;
        CheckCoverage(program, graph);
        return Build(program, graph, sampleShape, OutputShapes(output));
    }

    private static EngineException NotUnderstood(string model, string construct, string? where, string message) =>
        new("ModelStructureNotUnderstood", EngineErrorKind.NotSupported,
            $"The structure of model '{model}' cannot be followed: {message}. CondensaPS follows the model's own TorchScript code " +
            $"to find its layers and which channels belong together, and does not follow '{construct}'; the model is left as it is.",
            where is null ? construct : $"{construct} at {where}");

    /// <summary>
    /// Every (tensor, dimension) must be cut into segments that tile it exactly. Several spaces at the same place (a
    /// weight read by two calls) are coupled; anything else that overlaps or leaves gaps fixes the spaces involved.
    /// </summary>
    private static void CheckCoverage(ScriptProgram program, ChannelGraph graph)
    {
        var shapes = program.Tensors().ToDictionary(t => t.Name, t => t.Tensor.Shape, StringComparer.Ordinal);
        var byDimension = new Dictionary<(string, int), List<(SpaceMember Member, ChannelSpace Space)>>();
        foreach (var group in graph.Groups)
            foreach (var m in group.Members)
            {
                if (!byDimension.TryGetValue((m.Tensor, m.Dim), out var list)) byDimension[(m.Tensor, m.Dim)] = list = new();
                list.Add((m, group));
            }
        foreach (var ((tensor, dim), entries) in byDimension)
        {
            foreach (var same in entries.GroupBy(e => (e.Member.Offset, e.Member.Block)))
            {
                var spaces = same.Select(e => e.Space.Root).Distinct().ToList();
                for (int i = 1; i < spaces.Count; i++)
                    if (spaces[i].Size == spaces[0].Size) ChannelSpace.Union(spaces[0], spaces[i], $"shared tensor {tensor}");
            }
            var segments = entries.Select(e => (e.Member.Offset, Length: e.Space.Size * e.Member.Block, e.Space))
                .GroupBy(s => s.Offset).Select(g => g.First()).OrderBy(s => s.Offset).ToList();
            long expected = shapes.TryGetValue(tensor, out var shape) && dim < shape.Count ? shape[dim] : -1;
            long at = 0;
            bool tiles = true;
            foreach (var s in segments)
            {
                if (s.Offset != at) { tiles = false; break; }
                at += s.Length;
            }
            if (!tiles || at != expected)
                foreach (var e in entries) e.Space.Fix($"dimension {dim} of {tensor} is indexed in a way slimming cannot follow");
        }
    }

    /// <summary>The shapes of the tensors forward returns (one, or each of a tuple or list), batch dimension dropped.</summary>
    private static IReadOnlyList<IReadOnlyList<long>> OutputShapes(object? output) => output switch
    {
        AbstractTensor t => new[] { (IReadOnlyList<long>)t.Shape.Skip(1).ToArray() },
        Formats.Pickle.PyTuple tuple => tuple.Items.SelectMany(OutputShapes).ToList(),
        List<object?> list => list.SelectMany(OutputShapes).ToList(),
        _ => Array.Empty<IReadOnlyList<long>>(),
    };

    private static ModelStructure Build(ScriptProgram program, ChannelGraph graph, IReadOnlyList<long> sampleShape, IReadOnlyList<IReadOnlyList<long>> outputs)
    {
        var groups = new List<ChannelGroup>();
        foreach (var g in graph.Groups)
        {
            var members = g.Members;
            if (members.Count == 0 && g.FixedReasons.Count == 0) continue;
            groups.Add(new ChannelGroup(
                g.Id,
                g.Size,
                members.Where(m => m.Role == MemberRole.Producer).Select(m => m.Layer).Distinct().ToList(),
                members.Where(m => m.Role == MemberRole.Consumer).Select(m => m.Layer).Distinct().ToList(),
                members.Where(m => m.Role == MemberRole.Follower).Select(m => m.Tensor).Distinct().ToList(),
                g.Couplings.ToList(),
                g.FixedReasons.ToList()));
        }
        var layers = graph.Layers.Select(l => new LayerStructure(l.Name, l.Kind, l.Weight, l.InChannels, l.OutChannels, l.Groups,
            l.Kernel, l.OutputShape.Skip(1).ToArray(), l.Macs, l.Output.Root.Id, l.Site.ToString())).ToList();
        return new ModelStructure(sampleShape.ToArray(), outputs, layers, groups, graph, program);
    }
}
