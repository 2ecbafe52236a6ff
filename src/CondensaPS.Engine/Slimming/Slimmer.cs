using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using CondensaPS.Engine.Structure;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// Structural slimming, the prune step with <c>slim: true</c>: analyses the model's structure at its input size,
/// ranks each group of coupled channels by group importance, keeps the best of each (at least one, at most the cap
/// allows to lose, aligned if asked), and builds a new model without the rest: whole filters and neurons with their
/// batch-norm entries, biases, consumer input columns and depthwise filters. Results: multiply-accumulates and
/// parameters before and after, a row per layer (<see cref="SlimmedLayer"/>), the channels each group kept, and the
/// groups left as they are with the reason.
/// </summary>
internal static class Slimmer
{
    private const string Activity = "Invoke-Prune -Slim";

    public static OperationResult Slim(CompressionModel input, PruneOptions options, OperationContext context)
    {
        var shape = options.SampleShape ?? input.InputShape ?? throw new EngineException("InputShapeRequired", EngineErrorKind.InvalidArgument,
            $"Model '{input.Name}' is TorchScript and does not say what input it takes; give the shape of one sample (-InputShape 3,224,224, or input-shape in a strategy) so its structure can be analysed.", input.Name);
        context.Report(new OperationProgress(Activity, $"Analysing the structure of '{input.Name}' at {string.Join("x", shape)}", 5));
        var structure = ModelStructures.Of(input, shape);
        context.ThrowIfCancelled();

        context.Report(new OperationProgress(Activity, "Ranking channel groups", 20));
        var tensors = input.NamedParameters().Concat(input.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        var plan = SlimPlan.Make(structure, options, name => tensors.GetValueOrDefault(name));
        if (input.IsTorchScript && DepthwiseGroupsRewrite.Sites(plan).Count > 0)
        {
            // Depthwise literals are rewritten in an archive written now; its code must be the code analysed.
            var archive = TorchScriptSlimmer.Archive(input);
            if (!TorchScriptSlimmer.CodeMatches(plan, archive))
            {
                context.Log("The model's code as written now differs from the code read at import; analysing it again.");
                using var reader = Formats.TorchScript.ScriptArchive.Open(archive, input.Name);
                structure = StructureAnalyzer.Analyze(ModelStructures.Read(reader, input.Name), shape, input.Name);
                plan = SlimPlan.Make(structure, options, name => tensors.GetValueOrDefault(name));
            }
        }
        context.ThrowIfCancelled();
        Describe(plan, input, context);

        context.Report(new OperationProgress(Activity, $"Removing {plan.Groups.Sum(g => g.Channels - g.Kept.Length):N0} channels", 40));
        CompressionModel output;
        try
        {
            output = input.IsTorchScript ? TorchScriptSlimmer.Apply(input, plan, context) : BuiltInSlimmer.Apply(input, plan, context);
        }
        catch (SlimFailedException e)
        {
            throw new EngineException("SlimFailed", EngineErrorKind.InvalidOperation,
                $"Slimming model '{input.Name}' failed: {e.Message}. The model is left as it is.", input.Name, e);
        }
        try
        {
            output.InputShape = shape.ToArray();
            output.Reference = input.Reference ?? input;
            context.Report(new OperationProgress(Activity, "Counting what is left", 90));
            var after = ModelStructures.Of(output, shape);
            var results = Results(plan, structure, after, input, output);
            context.Report(new OperationProgress(Activity, "Done", 100, Completed: true));
            return new OperationResult(output, results);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static void Describe(SlimPlan plan, CompressionModel input, OperationContext context)
    {
        long before = plan.Groups.Sum(g => g.Channels), removed = plan.Groups.Sum(g => g.Channels - g.Kept.Length);
        context.Log($"Slimming '{input.Name}': {plan.Groups.Count(g => g.Eligible)} of {plan.Groups.Count} channel groups eligible; removing {removed:N0} of {before:N0} channels.");
        foreach (var g in plan.Groups.Where(g => g.IsSlimmed))
            context.Log($"  {string.Join(", ", g.Producers)}: {g.Channels} -> {g.Kept.Length}{(g.Notes.Count > 0 ? " (" + string.Join("; ", g.Notes) + ")" : "")}");
        var minimum = plan.Groups.Where(g => g.Notes.Contains("minimum one channel kept")).ToList();
        if (minimum.Count > 0)
            context.Warn($"The ratio would remove every channel of {string.Join(", ", minimum.Select(g => string.Join("+", g.Producers)))}; one channel of each is kept.");
        var unresolved = plan.Groups.Where(g => !g.Eligible && g.Group.FixedReasons.Any(r => r is not ("model input" or "model output"))).ToList();
        if (unresolved.Count > 0)
            context.Warn($"{unresolved.Count} group(s) of channels stay dense because slimming cannot follow their coupling: " +
                string.Join("; ", unresolved.Select(g => $"{(g.Producers.Count > 0 ? string.Join(", ", g.Producers) : g.Group.Origin)} ({string.Join("; ", g.Group.FixedReasons.Where(r => r is not ("model input" or "model output")))})")) + ".");
        var emptied = plan.Groups.Where(g => g.IsSlimmed && 1.0 - (double)g.Kept.Length / g.Channels >= Pruning.PruneOperation.EmptyLayerSparsity).ToList();
        if (emptied.Count > 0)
            context.Warn($"Slimming removes 99% or more of the channels of {string.Join(", ", emptied.Select(g => $"{string.Join("+", g.Producers)} ({g.Kept.Length} of {g.Channels} kept)"))}; cap each layer's share with -MaxLayerSparsity.");
        if (plan.IsEmpty) context.Warn($"Slimming removes nothing from '{input.Name}' at this ratio.");
    }

    private static OrderedSettings Results(SlimPlan plan, ModelStructure before, ModelStructure after, CompressionModel input, CompressionModel output)
    {
        var results = new OrderedSettings();
        results.Add("input-shape", before.SampleShape.ToArray());
        results.Add("macs-before", before.Macs);
        results.Add("macs-after", after.Macs);
        results.Add("macs-ratio", after.Macs == 0 ? 0 : (double)before.Macs / after.Macs);
        results.Add("parameters-before", input.Parameters);
        results.Add("parameters-after", output.Parameters);
        results.Add("channels-before", plan.Groups.Sum(g => g.Channels));
        results.Add("channels-after", plan.Groups.Sum(g => (long)g.Kept.Length));
        results.Add("layers", SlimReport.Layers(plan, after));
        var kept = new OrderedSettings();
        foreach (var g in plan.Groups.Where(g => g.IsSlimmed))
            kept.Add(string.Join("+", g.Producers), g.Kept.ToList());
        results.Add("kept", kept);
        var left = new OrderedSettings();
        foreach (var g in plan.Groups.Where(g => !g.Eligible))
            left.Add(g.Producers.Count > 0 ? string.Join("+", g.Producers) : g.Group.Origin, g.LeftBecause ?? "");
        results.Add("left", left);
        return results;
    }
}
