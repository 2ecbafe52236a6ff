using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Structure;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// Checks a slimmed model before it is handed out: it runs on the analysed input, returns outputs of the original's
/// shapes, and its own structure has the planned widths.
/// </summary>
internal static class SlimVerifier
{
    public static void Verify(CompressionModel model, SlimPlan plan, OperationContext context)
    {
        var shape = plan.Structure.SampleShape;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            bool training = model.Module.training;
            model.Module.eval();
            try
            {
                var output = model.Forward(zeros(new[] { 1L }.Concat(shape).ToArray()));
                var outputs = new List<long[]> { output.shape.Skip(1).ToArray() };
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
        var after = ModelStructures.Of(model, shape);
        var widths = after.Layers.ToDictionary(l => l.Name, l => l.OutChannels, StringComparer.Ordinal);
        foreach (var layer in plan.Structure.Graph.Layers)
        {
            long expected = plan.KeptOf(layer.Output).Length;
            if (layer.Kind != LayerKind.TransposedConvolution && widths.TryGetValue(layer.Name, out var actual) && actual != expected)
                throw new SlimFailedException($"layer {layer.Name} has {actual} output channels after slimming, not the planned {expected}");
        }
        context.Log($"Checked the slimmed model: it runs on [1x{string.Join("x", shape)}], returns the original's output shapes, and its layers have the planned widths.");
    }
}
