using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Slimming.SlimTests;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>Built-in models slim by being rebuilt with narrower per-layer widths; they stay built-in models.</summary>
public class BuiltInSlimTests
{
    private static CompressionModel New(string architecture, int size, int[]? hidden = null, int pool = 0) =>
        ModelLoader.New(new ModelLoadOptions { Architecture = architecture, NumClasses = 10, InputSize = size, Seed = 3, HiddenSizes = hidden, PoolSize = pool });

    [PyTorchTheory]
    [InlineData("resnet18", 32)]
    [InlineData("resnet50", 32)]
    [InlineData("mobilenet_v2", 32)]
    [InlineData("vgg16_bn", 32)]
    public void A_built_in_model_slims_into_a_built_in_model_with_narrower_widths_that_PyTorch_runs(string architecture, int size)
    {
        using var model = architecture.StartsWith("vgg", StringComparison.Ordinal) ? New(architecture, size, new[] { 64, 64 }, 1) : New(architecture, size);
        using var slimmed = Slim(model, 0.5, "filter", ("align", 4L));
        Assert.False(slimmed.IsTorchScript);
        Assert.Equal(architecture, slimmed.Architecture);
        Assert.NotEmpty(slimmed.Spec!.Widths);
        Assert.True(slimmed.Parameters < model.Parameters / 2, $"{slimmed.Parameters} of {model.Parameters}");
        Assert.True(slimmed.Macs < model.Macs / 2, $"{slimmed.Macs} of {model.Macs}");
        Assert.All(Report(slimmed).Where(r => r.Kind != "linear"), r => Assert.True(r.OutAfter % 4 == 0 || r.OutAfter == r.OutBefore, $"{r.Layer} keeps {r.OutAfter}"));
        using var input = randn(new long[] { 2, 3, size, size }, generator: new Generator(12));
        AssertPyTorchAgrees(slimmed, input);
        // The slimmed built-in survives a round trip through its TorchScript export, widths and all.
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "slim.pt");
        ModelExporter.Export(slimmed, path, ModelFileFormat.TorchScript, overwrite: false);
        using (var back = ModelLoader.Load(path, new ModelLoadOptions()))
        {
            Assert.Equal(slimmed.Spec!.LayerWidths(), back.Spec!.LayerWidths());
            Assert.Equal(slimmed.Parameters, back.Parameters);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void The_same_plan_gives_the_same_model_whether_built_in_or_TorchScript()
    {
        using var builtIn = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 5 });
        var path = Path.Combine(TestPaths.NewTempFolder(), "lenet.pt");
        ModelExporter.Export(builtIn, path, ModelFileFormat.TorchScript, overwrite: false);
        // Loaded back as TorchScript by stripping nothing: the archive is plain TorchScript to the structure analysis.
        using var slimBuiltIn = Slim(builtIn, 0.5, "filter");
        using var slimNeurons = Slim(slimBuiltIn, 0.5, "neuron");
        Assert.Equal(new long[] { 3, 1, 5, 5 }, TensorOf(slimNeurons, "conv1.weight").shape);
        Assert.Equal(new long[] { 60, 200 }, TensorOf(slimNeurons, "fc1.weight").shape);
        Assert.Equal(new long[] { 10, 42 }, TensorOf(slimNeurons, "fc3.weight").shape);
        Assert.Equal(2, slimNeurons.History.Count);
        using var x = randn(new long[] { 3, 1, 28, 28 }, generator: new Generator(2));
        using var y = slimNeurons.Forward(x);
        Assert.Equal(new long[] { 3, 10 }, y.shape);
    }
}
