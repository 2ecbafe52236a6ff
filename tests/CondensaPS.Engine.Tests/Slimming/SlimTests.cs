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
        try
        {
            var pt = Path.Combine(dir, "slim.pt");
            var io = Path.Combine(dir, "slim.io.safetensors");
            ModelExporter.Export(model, pt, ModelFileFormat.TorchScript, overwrite: false);
            using (no_grad())
            using (var output = model.Forward(input))
                SafeTensorsFile.Write(io, new[] { ("input", input), ("output", output) }, new Dictionary<string, string>());
            var (code, text) = ModelFileFixtures.CheckWithPyTorch("torchscript", pt, io);
            Assert.True(code == 0, text);
        }
        finally
        {
            // The exports of slimmed ResNet-50s and VGGs are tens of MB each; the shared box's disk fills otherwise.
            Directory.Delete(dir, recursive: true);
        }
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

    [PyTorchFact]
    public void MobileNetV2_slims_through_its_depthwise_convolutions_and_PyTorch_runs_it()
    {
        using var model = Load("mobilenet_v2:classes=10,size=32");
        using var slimmed = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        var layers = Report(slimmed);
        var expand = layers.Single(l => l.Layer == "features.2.conv.0.0");
        Assert.Equal((96L, 48L), (expand.OutBefore, expand.OutAfter));
        var depthwise = layers.Single(l => l.Layer == "features.2.conv.1.0");
        Assert.Equal("depthwise conv", depthwise.Kind);
        Assert.Equal((96L, 48L, 96L, 48L), (depthwise.InBefore, depthwise.InAfter, depthwise.OutBefore, depthwise.OutAfter));
        Assert.Contains("follows the channels of features.2.conv.0.0", depthwise.Note);
        Assert.Equal(new long[] { 48, 1, 3, 3 }, TensorOf(slimmed, "features.2.conv.1.0.weight").shape);
        // The residual pair of blocks 2 and 3 shrinks together.
        Assert.Equal(TensorOf(slimmed, "features.2.conv.2.weight").shape[0], TensorOf(slimmed, "features.3.conv.3.weight").shape[0]);
        Assert.True(slimmed.Macs < model.Structure(new long[] { 3, 32, 32 }).Macs / 2);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(8));
        AssertPyTorchAgrees(slimmed, input);
        // A slimmed model slims again: its groups now follow the weight, with nothing left to rewrite.
        using var again = Slim(slimmed, 0.5);
        Assert.Equal(new long[] { 24, 1, 3, 3 }, TensorOf(again, "features.2.conv.1.0.weight").shape);
        AssertPyTorchAgrees(again, input);
    }

    [PyTorchFact]
    public void VGG16_bn_slims_filters_then_neurons_and_the_classifier_reads_7x7_blocks()
    {
        using var model = Load("vgg16_bn:classes=10,size=32,small");
        using var filters = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        Assert.Equal(new long[] { 64, 256 * 49 }, TensorOf(filters, "classifier.0.weight").shape);
        var classifier = Report(filters).Single(l => l.Layer == "classifier.0");
        Assert.Contains("left dense: made by linear layers", classifier.Note);
        using var neurons = Slim(filters, 0.5, "neuron");
        Assert.Equal(new long[] { 32, 256 * 49 }, TensorOf(neurons, "classifier.0.weight").shape);
        Assert.Equal(new long[] { 32, 32 }, TensorOf(neurons, "classifier.3.weight").shape);
        Assert.Equal(new long[] { 10, 32 }, TensorOf(neurons, "classifier.6.weight").shape);
        Assert.Equal(2, neurons.History.Count);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(9));
        AssertPyTorchAgrees(neurons, input);
    }

    [PyTorchFact]
    public void Concatenated_branches_shrink_segment_by_segment()
    {
        using var model = Load("concat:classes=10,size=32,io");
        using var slimmed = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        Assert.Equal(new long[] { 6, 8, 3, 3 }, TensorOf(slimmed, "merge.weight").shape);
        Assert.Equal(new long[] { 8 }, TensorOf(slimmed, "bn.weight").shape);
        Assert.Equal(new long[] { 10, 6 * 16 }, TensorOf(slimmed, "fc.weight").shape);
        // merge's kept input columns are a's kept channels, then b's kept channels shifted past a's 6.
        var kept = (Engine.Operations.OrderedSettings)slimmed.History[^1].Results["kept"]!;
        var a = (List<long>)kept["a"]!;
        var b = (List<long>)kept["b"]!;
        using (no_grad())
        {
            var columns = a.Concat(b.Select(c => c + 6)).ToArray();
            using var expected = TensorOf(model, "merge.weight").index_select(1, tensor(columns)).index_select(0, tensor(((List<long>)kept["merge"]!).ToArray()));
            Assert.True(expected.eq(TensorOf(slimmed, "merge.weight")).all().item<bool>());
        }
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(10));
        AssertPyTorchAgrees(slimmed, input);
    }

    /// <summary>
    /// The other torchvision models the slimming is promised for, scripted by PyTorch: ResNet-50 (bottlenecks with a
    /// projection in every stage) and VGG-19 with batch norm (the 32x32 head the benchmark uses). Every group that can
    /// be slimmed loses half, the input is untouched, and torch.jit.load of the export gives our outputs within 1e-5.
    /// </summary>
    [PyTorchTheory]
    [InlineData("resnet50:classes=10,size=32", "layer4.2.conv3.weight", 1024L, "fc.weight", 10L, 1024L)]
    [InlineData("vgg19_bn:classes=10,size=32,cifar", "features.49.weight", 256L, "classifier.0.weight", 512L, 256L)]
    public void Scripted_ResNet50_and_VGG19_bn_slim_and_PyTorch_runs_them(string spec, string lastConv, long lastConvRows, string head, long headRows, long headColumns)
    {
        using var model = Load(spec);
        var before = OperatorSnapshot(model);
        using var slimmed = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        AssertSame(before, model);
        Assert.Empty(model.History);
        Assert.Equal(lastConvRows, TensorOf(slimmed, lastConv).shape[0]);
        Assert.Equal(new[] { headRows, headColumns }, TensorOf(slimmed, head).shape);
        Assert.InRange((double)slimmed.Parameters / model.Parameters, 0.2, 0.4);
        Assert.InRange((double)slimmed.History[^1].Results["macs-ratio"]!, 3.0, 4.5);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(13));
        AssertPyTorchAgrees(slimmed, input);
    }

    [PyTorchFact]
    public void A_traced_ResNet18_slims_like_a_scripted_one()
    {
        using var model = Load("resnet18:traced,classes=10,size=32");
        Assert.True(model.IsTraced);
        using var slimmed = Slim(model, 0.5, more: ("input-shape", new long[] { 3, 32, 32 }));
        Assert.Equal(new long[] { 10, 256 }, TensorOf(slimmed, "fc.weight").shape);
        Assert.True(slimmed.IsTraced);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(11));
        AssertPyTorchAgrees(slimmed, input);
    }

    internal static Tensor TensorOf(CompressionModel m, string name) =>
        m.NamedParameters().Concat(m.NamedBuffers()).Single(t => t.Name == name).Tensor;

    private static Dictionary<string, Tensor> OperatorSnapshot(CompressionModel m) => Operators.OperatorTestModels.Snapshot(m);
    private static void AssertSame(Dictionary<string, Tensor> before, CompressionModel m) => Operators.OperatorTestModels.AssertSameState(before, m);
}
