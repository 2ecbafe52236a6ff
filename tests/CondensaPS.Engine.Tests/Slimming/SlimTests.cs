using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Slimming;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>
/// Structural slimming (the prune step with slim: true) of TorchScript models: what is removed, what stays and why,
/// that the input is untouched, and that PyTorch runs the exported result with the outputs CondensaPS computes.
/// </summary>
public class SlimTests
{
    internal static CompressionModel Load(string spec) => ModelLoader.Load(TestModels.Path(spec), new ModelLoadOptions());

    internal static CompressionModel Slim(CompressionModel model, double ratio, string method = "filter", params (string Key, object? Value)[] more)
    {
        var settings = new StepSettings("prune").Set("ratio", ratio).Set("method", method).Set("slim", true);
        foreach (var (k, v) in more) settings.Set(k, v);
        return OperationRunner.Run("prune", model, settings);
    }

    internal static IReadOnlyList<SlimmedLayer> Report(CompressionModel slimmed) => (IReadOnlyList<SlimmedLayer>)slimmed.History[^1].Results["layers"]!;

    /// <summary>Exports the model as TorchScript and has PyTorch 1.13 run it on <paramref name="input"/>: the largest difference from our output.</summary>
    internal static void AssertPyTorchAgrees(CompressionModel model, Tensor input)
    {
        var dir = TestPaths.NewTempFolder();
        var pt = Path.Combine(dir, "slim.pt");
        var io = Path.Combine(dir, "slim.io.safetensors");
        ModelExporter.Export(model, pt, ModelFileFormat.TorchScript, overwrite: false);
        using (no_grad())
        using (var output = model.Forward(input))
            SafeTensorsFile.Write(io, new[] { ("input", input), ("output", output) }, new Dictionary<string, string>());
        var (code, text) = ModelFileFixtures.CheckWithPyTorch("torchscript", pt, io);
        Assert.True(code == 0, text);
    }

    [PyTorchFact]
    public void ResNet18_loses_half_of_every_group_and_PyTorch_runs_it()
    {
        using var model = Load("resnet18:classes=10,size=32");
        var before = OperatorSnapshot(model);
        using var slimmed = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        // The input model is untouched.
        AssertSame(before, model);
        var layers = Report(slimmed);
        Assert.Equal(21, layers.Count);
        var conv1 = layers.Single(l => l.Layer == "conv1");
        Assert.Equal((64L, 32L), (conv1.OutBefore, conv1.OutAfter));
        Assert.Contains("coupled with layer1.0.conv2, layer1.1.conv2", conv1.Note);
        var fc = layers.Single(l => l.Layer == "fc");
        Assert.Equal((512L, 256L, 10L, 10L), (fc.InBefore, fc.InAfter, fc.OutBefore, fc.OutAfter));
        Assert.Contains("model output", fc.Note);
        Assert.Equal(new long[] { 256 }, TensorOf(slimmed, "layer4.1.bn2.running_mean").shape);
        Assert.Equal(new long[] { 128, 64, 3, 3 }, TensorOf(slimmed, "layer3.0.conv1.weight").shape);
        Assert.Equal(new long[] { 10, 256 }, TensorOf(slimmed, "fc.weight").shape);
        // Parameters and MACs fall to about a quarter: both sides of every convolution halve.
        Assert.InRange((double)slimmed.Parameters / model.Parameters, 0.24, 0.27);
        var results = slimmed.History[^1].Results;
        Assert.InRange((double)results["macs-ratio"]!, 3.6, 4.1);
        Assert.Equal(slimmed.Macs, (long)results["macs-after"]!);
        Assert.Equal(new long[] { 3, 32, 32 }, slimmed.InputShape);
        Assert.Same(model, slimmed.Reference);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(7));
        AssertPyTorchAgrees(slimmed, input);
    }

    internal static Tensor TensorOf(CompressionModel m, string name) =>
        m.NamedParameters().Concat(m.NamedBuffers()).Single(t => t.Name == name).Tensor;

    private static Dictionary<string, Tensor> OperatorSnapshot(CompressionModel m) => Operators.OperatorTestModels.Snapshot(m);
    private static void AssertSame(Dictionary<string, Tensor> before, CompressionModel m) => Operators.OperatorTestModels.AssertSameState(before, m);
}
