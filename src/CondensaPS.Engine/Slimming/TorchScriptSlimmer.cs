using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Structure;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// Slims a TorchScript model: a copy of its module (through an archive, with depthwise groups rewritten where the plan
/// shrinks them) gets every planned parameter and buffer replaced in place by its kept rows and columns
/// (<c>Tensor.set_</c> under no_grad: the module's code reads its channel counts off the tensors), masks and int8
/// scales sliced alike. The copy is then checked: it runs on the analysed input and returns outputs of the original's
/// shapes, and its own structure has the planned channel counts. The input model is never changed.
/// </summary>
internal static class TorchScriptSlimmer
{
    public static CompressionModel Apply(CompressionModel input, SlimPlan plan, OperationContext context)
    {
        var sites = DepthwiseGroupsRewrite.Sites(plan);
        CompressionModel output;
        if (sites.Count == 0) output = input.Clone();
        else
        {
            context.Log($"Rewriting the groups of {sites.Count} depthwise convolution class(es) as torch.size(weight, 0): {string.Join(", ", sites.Select(s => s.Name))}.");
            var archive = SaveToBytes((jit.ScriptModule)input.Module);
            EnsureSameCode(plan, archive);
            var rewritten = DepthwiseGroupsRewrite.Apply(archive, sites);
            var module = jit.load<Tensor, Tensor>(rewritten, input.TorchDevice.type, input.TorchDevice.index);
            output = input.WithScriptModule(module);
        }
        try
        {
            context.ThrowIfCancelled();
            Slice(output, plan);
            output.Program = null;
            output.Structures.Clear();
            Verify(output, plan, context);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Replaces each planned tensor, mask and scale by its kept slices.</summary>
    internal static void Slice(CompressionModel model, SlimPlan plan)
    {
        using var _ = no_grad();
        var byTensor = plan.Indices.GroupBy(kv => kv.Key.Tensor).ToDictionary(g => g.Key, g => g.Select(kv => (kv.Key.Dim, kv.Value)).OrderBy(x => x.Dim).ToList(), StringComparer.Ordinal);
        var tensors = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        foreach (var (name, dims) in byTensor)
        {
            if (!tensors.TryGetValue(name, out var target))
                throw new SlimFailedException($"the model has no parameter or buffer '{name}' for the plan");
            using (var sliced = Take(target, dims)) target.set_(sliced);
            if (model.Masks.TryGetValue(name, out var mask))
            {
                model.Masks[name] = Take(mask, dims);
                mask.Dispose();
            }
            if (model.Quantization.TryGetValue(name, out var q) && q.Scale is { } scale && q.Axis >= 0 && dims.Any(d => d.Dim == q.Axis))
            {
                var index = dims.First(d => d.Dim == q.Axis).Value;
                using var idx = tensor(index, dtype: ScalarType.Int64, device: scale.device);
                model.Quantization[name] = new QuantizationState(q.Type, scale.index_select(0, idx).contiguous(), q.Axis);
                q.Dispose();
            }
        }
    }

    private static Tensor Take(Tensor t, IReadOnlyList<(int Dim, long[] Indices)> dims)
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

    /// <summary>The slimmed model runs on the analysed input, returns what the original returned, and has the planned widths.</summary>
    private static void Verify(CompressionModel model, SlimPlan plan, OperationContext context)
    {
        var shape = plan.Structure.SampleShape;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            bool training = model.Module.training;
            model.Module.eval();
            try
            {
                var outputs = Outputs(model.Forward(zeros(new[] { 1L }.Concat(shape).ToArray())));
                var expected = plan.Structure.OutputShapes;
                if (outputs.Count != expected.Count || outputs.Zip(expected).Any(p => !p.First.SequenceEqual(p.Second)))
                    throw new SlimFailedException($"the slimmed model returns [{string.Join("; ", outputs.Select(o => string.Join("x", o)))}], not [{string.Join("; ", expected.Select(o => string.Join("x", o)))}]");
            }
            catch (Exception e) when (e is not SlimFailedException and not EngineException)
            {
                throw new SlimFailedException($"the slimmed model does not run on an input of shape [1x{string.Join("x", shape)}]: {Formats.ModelLoader.FirstLine(e.Message)}");
            }
            finally
            {
                if (training) model.Module.train();
            }
        }
        var after = model.Structure(shape);
        var widths = after.Layers.ToDictionary(l => l.Name, l => l.OutChannels, StringComparer.Ordinal);
        foreach (var layer in plan.Structure.Graph.Layers)
        {
            long expected = plan.KeptOf(layer.Output).Length;
            if (layer.Kind != LayerKind.TransposedConvolution && widths.TryGetValue(layer.Name, out var actual) && actual != expected)
                throw new SlimFailedException($"layer {layer.Name} has {actual} output channels after slimming, not the planned {expected}");
        }
        context.Log($"Checked the slimmed model: it runs on [1x{string.Join("x", shape)}], returns the original's output shapes, and its layers have the planned widths.");
    }

    private static List<long[]> Outputs(Tensor output) => new() { output.shape.Skip(1).ToArray() };

    private static byte[] SaveToBytes(jit.ScriptModule module)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"condensaps-slim-{Guid.NewGuid():N}.pt");
        try
        {
            jit.save(module, temp);
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The literal positions come from the program the structure was analysed on; the archive written now must hold
    /// the same code in the files to be rewritten, or the positions would point elsewhere.
    /// </summary>
    private static void EnsureSameCode(SlimPlan plan, byte[] archive)
    {
        if (!CodeMatches(plan, archive))
            throw new SlimFailedException("the code written from the model differs from the code its structure was analysed on");
    }

    /// <summary>Whether the files holding the plan's depthwise literals read the same in <paramref name="archive"/> as in the analysed program.</summary>
    internal static bool CodeMatches(SlimPlan plan, byte[] archive)
    {
        using var reader = ScriptArchive.Open(archive, "the model");
        var code = reader.ReadCode();
        return DepthwiseGroupsRewrite.Sites(plan).All(site =>
        {
            var file = site.GroupsLiteral!.Value.File["code/".Length..];
            return code.TryGetValue(file, out var text) && plan.Structure.Program.Code.TryGetValue(file, out var analysed) && text == analysed;
        });
    }

    /// <summary>The model written as a TorchScript archive, in memory.</summary>
    internal static byte[] Archive(CompressionModel model) => SaveToBytes((jit.ScriptModule)model.Module);
}
