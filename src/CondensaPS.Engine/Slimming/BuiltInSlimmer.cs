using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Structure;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// Slims a built-in model: the same architecture is rebuilt with the planned per-layer widths
/// (<see cref="ArchitectureSpec.WithWidths"/>), and every parameter and buffer is copied in cut to its kept rows and
/// columns (masks and int8 scales alike), so the result is again a built-in model that exports, imports and
/// retrains as one. The input model is never changed.
/// </summary>
internal static class BuiltInSlimmer
{
    public static CompressionModel Apply(CompressionModel input, SlimPlan plan, OperationContext context)
    {
        var spec = input.Spec!;
        var widths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in plan.Structure.Graph.Layers)
        {
            long kept = plan.KeptOf(layer.Output).Length;
            if (kept != layer.OutChannels) widths[layer.Name] = checked((int)kept);
        }
        ArchitectureSpec slimmed;
        try
        {
            slimmed = spec.WithWidths(widths);
        }
        catch (EngineException e)
        {
            throw new SlimFailedException($"the plan's widths do not fit {spec.Name}: {e.Message}");
        }
        context.Log($"Rebuilding {spec.Name} with {slimmed.Widths.Count} narrowed layer(s).");
        var module = ArchitectureRegistry.Build(slimmed);
        var output = input.WithBuiltInModule(module, slimmed);
        try
        {
            Copy(input, output, plan);
            TensorSlicing.SliceMasksAndScales(output, plan);
            SlimVerifier.Verify(output, plan, context);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static void Copy(CompressionModel input, CompressionModel output, SlimPlan plan)
    {
        using var _ = no_grad();
        var cuts = TensorSlicing.ByTensor(plan);
        var targets = output.NamedParameters().Concat(output.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        foreach (var (name, source) in input.NamedParameters().Concat(input.NamedBuffers()))
        {
            if (!targets.TryGetValue(name, out var target))
                throw new SlimFailedException($"the rebuilt model has no '{name}'");
            using var scope = NewDisposeScope();
            var value = cuts.TryGetValue(name, out var dims) ? TensorSlicing.Take(source, dims) : source;
            if (!value.shape.SequenceEqual(target.shape))
                throw new SlimFailedException($"'{name}' is [{string.Join("x", value.shape)}] after slimming, but the rebuilt layer holds [{string.Join("x", target.shape)}]");
            target.copy_(value);
        }
    }
}
