using CondensaPS.Engine.Formats;
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
        var code = new Dictionary<string, string>(StringComparer.Ordinal);
        CompressionModel output;
        if (sites.Count == 0) output = input.Clone();
        else
        {
            context.Log($"Rewriting the groups of {sites.Count} depthwise convolution class(es) as torch.size(weight, 0): {string.Join(", ", sites.Select(s => s.Name))}.");
            var archive = Archive(input);
            EnsureSameCode(plan, archive);
            var rewritten = DepthwiseGroupsRewrite.Apply(archive, sites, code);
            var module = jit.load<Tensor, Tensor>(rewritten, input.TorchDevice.type, input.TorchDevice.index);
            output = input.WithScriptModule(module);
        }
        try
        {
            context.ThrowIfCancelled();
            Slice(output, plan);
            // The slimmed archive's program, without writing it: the analysed one with the new shapes and code.
            output.Structures.Clear();
            var planned = plan.Indices.Keys.Select(k => k.Tensor).ToHashSet(StringComparer.Ordinal);
            output.Program = plan.Structure.Program.With(
                output.NamedParameters().Concat(output.NamedBuffers()).Where(t => planned.Contains(t.Name))
                    .ToDictionary(t => t.Name, t => t.Tensor.shape, StringComparer.Ordinal),
                code);
            SlimVerifier.Verify(output, plan, context);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Replaces each planned parameter and buffer in place (set_), and its mask and scale, by its kept slices.</summary>
    private static void Slice(CompressionModel model, SlimPlan plan)
    {
        using var _ = no_grad();
        var tensors = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        foreach (var (name, dims) in TensorSlicing.ByTensor(plan))
        {
            if (!tensors.TryGetValue(name, out var target))
                throw new SlimFailedException($"the model has no parameter or buffer '{name}' for the plan");
            using (var sliced = TensorSlicing.Take(target, dims)) target.set_(sliced);
        }
        TensorSlicing.SliceMasksAndScales(model, plan);
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

    /// <summary>
    /// The model written as a TorchScript archive, in memory only (not through a temp file: libtorch's file writer
    /// kills the process when the temp disk is full).
    /// </summary>
    internal static byte[] Archive(CompressionModel model) => ScriptModuleArchive.Bytes((jit.ScriptModule)model.Module);
}
