using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Structure;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Structure;

/// <summary>
/// The structure analysis reads a model's TorchScript code and data.pkl: layers, multiply-accumulates and channel
/// groups, checked against hand-computed figures, torchvision's published ones, and the couplings each architecture has.
/// </summary>
public class ModelStructureTests
{
    private static ModelStructure Analyze(string path, params long[] sample)
    {
        using var archive = ScriptArchive.Open(path);
        return StructureAnalyzer.Analyze(ScriptProgram.Read(archive), sample, Path.GetFileNameWithoutExtension(path));
    }

    [Fact]
    public void LeNet5_multiply_accumulates_match_a_hand_count()
    {
        var s = Analyze(TestPaths.Fixture("lenet5_scripted.pt"), 1, 28, 28);
        // conv1 6x28x28 outputs x 1x5x5; conv2 16x10x10 x 6x5x5; fc1 400x120; fc2 120x84; fc3 84x10.
        Assert.Equal(new long[] { 117_600, 240_000, 48_000, 10_080, 840 }, s.Layers.Select(l => l.Macs));
        Assert.Equal(416_520, s.Macs);
        Assert.Equal(new[] { "conv1", "conv2", "fc1", "fc2", "fc3" }, s.Layers.Select(l => l.Name));
        // conv1, conv2, fc1 and fc2 make slimmable channels; fc3's are the model's output; the input is fixed.
        Assert.Equal(new[] { "conv1", "conv2", "fc1", "fc2" }, s.Groups.Where(g => g.CanSlim).SelectMany(g => g.Producers));
        var output = s.Groups.Single(g => g.Producers.Contains("fc3"));
        Assert.Contains("model output", output.FixedReasons);
        // conv2's 16 channels reach fc1 as blocks of 5x5 features.
        var conv2 = s.Groups.Single(g => g.Producers.Contains("conv2"));
        Assert.Equal(new[] { "fc1" }, conv2.Consumers);
        Assert.Equal(16, conv2.Channels);
    }

    [Fact]
    public void Traced_and_scripted_LeNet5_have_the_same_structure()
    {
        var scripted = Analyze(TestPaths.Fixture("lenet5_scripted.pt"), 1, 28, 28);
        var traced = Analyze(TestPaths.Fixture("lenet5_traced.pt"), 1, 28, 28);
        Assert.Equal(scripted.Layers.Select(l => (l.Name, l.Macs)), traced.Layers.Select(l => (l.Name, l.Macs)));
        Assert.Equal(scripted.Groups.Select(g => (g.Channels, g.CanSlim)), traced.Groups.Select(g => (g.Channels, g.CanSlim)));
    }

    [PyTorchTheory]
    [InlineData("resnet18:nodata", 1.814e9)]
    [InlineData("resnet50:nodata", 4.089e9)]
    [InlineData("vgg16_bn:nodata", 15.47e9)]
    [InlineData("vgg19_bn:nodata", 19.63e9)]
    [InlineData("mobilenet_v2:nodata", 0.3e9)]
    public void Multiply_accumulates_at_224_match_torchvisions_figures(string spec, double expected)
    {
        var s = Analyze(TestModels.Path(spec), 3, 224, 224);
        Assert.InRange(s.Macs, expected * 0.99, expected * 1.01);
    }

    [PyTorchFact]
    public void ResNet18_couples_each_stage_through_its_residual_additions()
    {
        var s = Analyze(TestModels.Path("resnet18:nodata"), 3, 224, 224);
        var slimmable = s.Groups.Where(g => g.CanSlim).ToList();
        // Eight blocks' inner channels, and one group per stage whose members are joined by additions.
        Assert.Equal(12, slimmable.Count);
        var stage1 = slimmable.Single(g => g.Producers.Contains("conv1"));
        Assert.Equal(new[] { "conv1", "layer1.0.conv2", "layer1.1.conv2" }, stage1.Producers.OrderBy(p => p));
        Assert.Contains("bn1.weight", stage1.Followers);
        Assert.Contains("layer1.1.bn2.running_var", stage1.Followers);
        Assert.Contains(stage1.Couplings, c => c.StartsWith("torch.add_ at code/__torch__/torchvision/models/resnet.py", StringComparison.Ordinal));
        var stage4 = slimmable.Single(g => g.Producers.Contains("layer4.0.downsample.0"));
        Assert.Equal(new[] { "layer4.0.conv2", "layer4.0.downsample.0", "layer4.1.conv2" }, stage4.Producers.OrderBy(p => p));
        Assert.Contains("fc", stage4.Consumers);
        var inner = slimmable.Single(g => g.Producers.SequenceEqual(new[] { "layer2.0.conv1" }));
        Assert.Equal(new[] { "layer2.0.conv2" }, inner.Consumers);
        Assert.Empty(inner.Couplings);
    }

    [PyTorchFact]
    public void ResNet50_has_two_inner_groups_per_bottleneck_one_per_stage_and_the_stem()
    {
        var s = Analyze(TestModels.Path("resnet50:nodata"), 3, 224, 224);
        // Unlike ResNet-18's, ResNet-50's first stage starts with a projection, so the stem is a group of its own.
        Assert.Equal(16 * 2 + 4 + 1, s.Groups.Count(g => g.CanSlim));
        Assert.Equal(new[] { "conv1" }, s.Groups.Single(g => g.Producers.Contains("conv1")).Producers);
        Assert.Equal(53 + 1, s.Layers.Count);
    }

    [PyTorchFact]
    public void VGG16_bn_feeds_its_last_convolution_into_the_classifier_as_7x7_blocks()
    {
        var s = Analyze(TestModels.Path("vgg16_bn:nodata"), 3, 32, 32);
        Assert.Equal(13 + 2, s.Groups.Count(g => g.CanSlim));
        var last = s.Groups.Single(g => g.Producers.Contains("features.40"));
        Assert.Equal(new[] { "classifier.0" }, last.Consumers);
        var member = s.Graph.Groups.Single(g => g.Id == last.Id).Members.Single(m => m.Role == MemberRole.Consumer);
        Assert.Equal(49, member.Block);
        Assert.Equal(new long[] { 512, 2, 2 }, s.Layers.Single(l => l.Name == "features.40").OutputShape);
    }

    [PyTorchFact]
    public void MobileNetV2_couples_depthwise_convolutions_with_their_expansion()
    {
        var s = Analyze(TestModels.Path("mobilenet_v2:nodata"), 3, 224, 224);
        var hidden = s.Groups.Single(g => g.Producers.Contains("features.2.conv.0.0"));
        Assert.Contains("features.2.conv.1.0.weight", hidden.Followers);
        Assert.Contains("features.2.conv.1.1.weight", hidden.Followers);
        Assert.Equal(new[] { "features.2.conv.2" }, hidden.Consumers);
        Assert.Contains(hidden.Couplings, c => c.StartsWith("depthwise convolution features.2.conv.1.0", StringComparison.Ordinal));
        Assert.Equal(LayerKind.DepthwiseConvolution, s.Layers.Single(l => l.Name == "features.2.conv.1.0").Kind);
        // Blocks 2 and 3 add their outputs (24 channels): their projections share a group.
        var residual = s.Groups.Single(g => g.Producers.Contains("features.2.conv.2"));
        Assert.Contains("features.3.conv.2", residual.Producers);
        Assert.True(residual.CanSlim);
        // The first block has no expansion: its depthwise convolution reads the stem's channels.
        var stem = s.Groups.Single(g => g.Producers.Contains("features.0.0"));
        Assert.Contains("features.1.conv.0.0.weight", stem.Followers);
    }

    [PyTorchFact]
    public void Traced_ResNet18_has_the_structure_of_the_scripted_one()
    {
        var scripted = Analyze(TestModels.Path("resnet18:classes=10,size=32"), 3, 32, 32);
        var traced = Analyze(TestModels.Path("resnet18:traced,classes=10,size=32"), 3, 32, 32);
        Assert.Equal(scripted.Macs, traced.Macs);
        Assert.Equal(scripted.Groups.Where(g => g.CanSlim).Select(g => string.Join(",", g.Producers.OrderBy(p => p))).OrderBy(p => p),
            traced.Groups.Where(g => g.CanSlim).Select(g => string.Join(",", g.Producers.OrderBy(p => p))).OrderBy(p => p));
    }

    [PyTorchFact]
    public void Concatenated_channels_reach_their_consumer_as_segments()
    {
        var s = Analyze(TestModels.Path("concat:classes=10,size=32,io"), 3, 32, 32);
        var a = s.Groups.Single(g => g.Producers.Contains("a"));
        var b = s.Groups.Single(g => g.Producers.Contains("b"));
        Assert.True(a.CanSlim);
        Assert.True(b.CanSlim);
        Assert.Contains("bn.weight", a.Followers);
        Assert.Contains("bn.weight", b.Followers);
        var members = s.Graph.Groups.Single(g => g.Id == b.Id).Members.Where(m => m.Tensor == "merge.weight").ToList();
        Assert.Equal(6, Assert.Single(members).Offset);
        var fc = s.Graph.Groups.Single(g => s.Groups.Single(x => x.Producers.Contains("merge")).Id == g.Id).Members.Single(m => m.Tensor == "fc.weight");
        Assert.Equal(16, fc.Block);
    }

    [PyTorchFact]
    public void A_grouped_convolution_keeps_its_channels_and_says_why()
    {
        var s = Analyze(TestModels.Path("grouped:classes=10,size=16"), 3, 16, 16);
        var conv1 = s.Groups.Single(g => g.Producers.Contains("conv1"));
        Assert.False(conv1.CanSlim);
        Assert.Contains(conv1.FixedReasons, r => r.StartsWith("grouped convolution conv2 (groups=2)", StringComparison.Ordinal));
        Assert.True(s.Groups.Single(g => g.Producers.Contains("conv3")).CanSlim);
        Assert.Equal(LayerKind.GroupedConvolution, s.Layers.Single(l => l.Name == "conv2").Kind);
    }

    [PyTorchFact]
    public void An_unknown_operator_is_named_with_its_file_and_line()
    {
        var e = Assert.Throws<EngineException>(() => Analyze(TestModels.Path("unknown_op:classes=10,size=16"), 3, 16, 16));
        Assert.Equal("ModelStructureNotUnderstood", e.ErrorId);
        Assert.Equal(EngineErrorKind.NotSupported, e.Kind);
        Assert.Contains("torch.cumsum", e.Message);
        Assert.Matches(@"at code/__torch__\S*\.py:\d+", e.Message);
    }

    [PyTorchFact]
    public void Control_flow_on_tensor_values_is_named()
    {
        var e = Assert.Throws<EngineException>(() => Analyze(TestModels.Path("data_branch:classes=10,size=16"), 3, 16, 16));
        Assert.Equal("ModelStructureNotUnderstood", e.ErrorId);
        Assert.Contains("torch.gt", e.Message + e.Target);
    }
}
