using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

/// <summary>Per-layer output widths of the built-in architectures: keys, builders, validation and every place a spec is kept.</summary>
public class LayerWidthsTests
{
    public LayerWidthsTests() => TorchRuntime.EnsureInitialized();

    /// <summary>Every layer at half its default width (coupled layers have equal defaults, so they stay equal).</summary>
    private static ArchitectureSpec Halved(ArchitectureSpec spec) =>
        spec.WithWidths(spec.LayerWidths().ToDictionary(w => w.Key, w => Math.Max(1, w.Value / 2)));

    private static Dictionary<string, long[]> Shapes(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

    [Fact]
    public void Layers_are_keyed_by_torchvision_module_path()
    {
        var r18 = ArchitectureRegistry.CreateSpec("resnet18").Layout();
        Assert.Equal(new[] { "conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1" }, r18.Layers.Take(4));
        Assert.Contains("layer2.0.downsample.0", r18.Layers);
        Assert.DoesNotContain("layer1.0.downsample.0", r18.Layers);
        Assert.DoesNotContain("fc", r18.Layers);
        Assert.Equal(1 + 8 * 2 + 3, r18.Layers.Count);
        var r50 = ArchitectureRegistry.CreateSpec("resnet50").Layout();
        Assert.Contains("layer1.0.downsample.0", r50.Layers);
        Assert.Equal(256, r50.Default("layer1.2.conv3"));
        var vgg = ArchitectureRegistry.CreateSpec("vgg16_bn", hiddenSizes: new[] { 512, 256 }).Layout();
        Assert.Equal(new[] { "features.0", "features.3", "features.7", "features.10", "features.14" }, vgg.Layers.Take(5));
        Assert.Equal(new[] { "classifier.0", "classifier.3" }, vgg.Layers.TakeLast(2));
        Assert.Equal(256, vgg.Default("classifier.3"));
        Assert.Equal(16 + 2, ArchitectureRegistry.CreateSpec("vgg19_bn").Layout().Layers.Count);
        var mobile = ArchitectureRegistry.CreateSpec("mobilenet_v2").Layout();
        Assert.Equal(new[] { "features.0.0", "features.1.conv.0.0", "features.1.conv.1", "features.2.conv.0.0", "features.2.conv.1.0", "features.2.conv.2" }, mobile.Layers.Take(6));
        Assert.Equal(1280, mobile.Default("features.18.0"));
        Assert.Equal(new[] { "conv1", "conv2", "fc1", "fc2" }, ArchitectureRegistry.CreateSpec("lenet5").Layout().Layers);
        Assert.Equal(new[] { "fc1", "fc2" }, ArchitectureRegistry.CreateSpec("mlp").Layout().Layers);
    }

    [Theory]
    [MemberData(nameof(BuiltInModels.Architectures), MemberType = typeof(BuiltInModels))]
    public void Every_builder_honours_the_widths_and_the_model_runs(string architecture)
    {
        using var scope = NewDisposeScope();
        var spec = Halved(BuiltInModels.Spec(architecture));
        Assert.NotEmpty(spec.Widths);
        using var module = ArchitectureRegistry.Build(spec);
        var shapes = Shapes(module);
        foreach (var (layer, width) in spec.LayerWidths())
            Assert.Equal(width, shapes[layer + ".weight"][0]);
        var output = module.call(BuiltInModels.Input(spec, 2, seed: 1));
        Assert.Equal(new long[] { 2, spec.NumClasses }, output.shape);
    }

    [Fact]
    public void Widths_equal_to_the_defaults_are_not_kept_and_later_calls_merge()
    {
        var spec = ArchitectureRegistry.CreateSpec("resnet18").WithWidths(new Dictionary<string, int> { ["layer1.0.conv1"] = 64, ["layer2.1.conv1"] = 100 });
        Assert.Equal(new Dictionary<string, int> { ["layer2.1.conv1"] = 100 }, spec.Widths);
        spec = spec.WithWidths(new Dictionary<string, int> { ["layer3.0.conv1"] = 7 });
        Assert.Equal(2, spec.Widths.Count);
        Assert.Equal(100, spec.LayerWidths()["layer2.1.conv1"]);
        Assert.EndsWith("with 2 narrowed layer(s)", spec.ToString());
    }

    [Fact]
    public void Bad_widths_are_refused_naming_the_layer()
    {
        var r18 = ArchitectureRegistry.CreateSpec("resnet18");
        var e = Assert.Throws<EngineException>(() => r18.WithWidths(new Dictionary<string, int> { ["layer9.conv1"] = 3 }));
        Assert.Equal("UnknownLayerWidth", e.ErrorId);
        Assert.Contains("'layer9.conv1'", e.Message);
        e = Assert.Throws<EngineException>(() => r18.WithWidths(new Dictionary<string, int> { ["layer1.0.conv1"] = 0 }));
        Assert.Equal("InvalidLayerWidth", e.ErrorId);
        // A residual addition couples the block's last convolution with the block's input (here the stem) ...
        e = Assert.Throws<EngineException>(() => r18.WithWidths(new Dictionary<string, int> { ["layer1.0.conv2"] = 32 }));
        Assert.Equal("InconsistentLayerWidths", e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("'layer1.0.conv2'", e.Message);
        Assert.Contains("'conv1'", e.Message);
        Assert.Contains("residual", e.Message);
        // ... and the whole stage shrinks together.
        var stage = new Dictionary<string, int> { ["conv1"] = 32, ["layer1.0.conv2"] = 32, ["layer1.1.conv2"] = 32 };
        Assert.Equal(3, r18.WithWidths(stage).Widths.Count);
        var r50 = ArchitectureRegistry.CreateSpec("resnet50");
        e = Assert.Throws<EngineException>(() => r50.WithWidths(new Dictionary<string, int> { ["layer2.0.conv3"] = 500 }));
        Assert.Contains("'layer2.0.downsample.0'", e.Message);
        var mobile = ArchitectureRegistry.CreateSpec("mobilenet_v2");
        e = Assert.Throws<EngineException>(() => mobile.WithWidths(new Dictionary<string, int> { ["features.2.conv.0.0"] = 90 }));
        Assert.Contains("depthwise", e.Message);
        Assert.Contains("'features.2.conv.1.0'", e.Message);
    }

    [Fact]
    public void Widths_survive_settings_compact_safetensors_clone_and_weights_only_import()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = ModelLoader.New(BuiltInModels.Options("resnet18"));
        var narrow = Halved(model.Spec!);
        using var slim = Models.CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(narrow), narrow, "slim", "test", CPU);
        Assert.Equal(narrow.Widths, ArchitectureSpec.FromSettings(narrow.ToSettings()).Widths);
        using var input = BuiltInModels.Input(narrow, 2, seed: 3);
        using var expected = slim.Forward(input);

        void AssertSame(Models.CompressionModel again)
        {
            Assert.Equal(narrow.Widths, again.Spec!.Widths);
            using var output = again.Forward(input);
            Assert.Equal(0, (output - expected).abs().max().item<float>());
        }

        using (var clone = slim.Clone()) AssertSame(clone);
        foreach (var file in new[] { "slim.cpz", "slim.safetensors", "slim.pt" })
        {
            var path = Path.Combine(dir, file);
            ModelExporter.Export(slim, path, ModelExporter.DefaultFormat(slim, path), overwrite: false);
            using var again = ModelLoader.Load(path, new ModelLoadOptions());
            AssertSame(again);
        }
        // A safetensors file without CondensaPS's metadata (another tool's): the widths come from the tensors' shapes.
        var bare = Path.Combine(dir, "bare.safetensors");
        SafeTensorsFile.Write(bare, slim.NamedParameters().Concat(slim.NamedBuffers()));
        var log = new List<string>();
        using (var again = ModelLoader.Load(bare, new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10 }, new Operations.OperationContext { Verbose = log.Add }))
            AssertSame(again);
        Assert.Contains(log, l => l.Contains("layers of other widths"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Weights_whose_widths_cannot_be_one_resnet_are_a_state_dict_mismatch()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = ModelLoader.New(BuiltInModels.Options("resnet18"));
        var tensors = model.NamedParameters().Concat(model.NamedBuffers())
            .Select(p => p.Name == "layer1.0.conv2.weight" ? (p.Name, zeros(48, 64, 3, 3)) : p).ToList();
        var path = Path.Combine(dir, "odd.safetensors");
        SafeTensorsFile.Write(path, tensors);
        var e = Assert.Throws<EngineException>(() => ModelLoader.Load(path, new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10 }).Dispose());
        Assert.Equal("StateDictMismatch", e.ErrorId);
        Assert.Contains("'layer1.0.conv2.weight' is [48x64x3x3] in the file but [64x64x3x3]", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Vgg_classifier_settings_are_checked()
    {
        Assert.Equal(7, ArchitectureRegistry.CreateSpec("vgg16_bn").PoolSize);
        Assert.Equal(new[] { 4096, 4096 }, ArchitectureRegistry.CreateSpec("vgg19_bn").HiddenSizes);
        Assert.Equal(0, ArchitectureRegistry.CreateSpec("resnet18").PoolSize);
        Assert.Equal("InvalidArchitectureSetting", Assert.Throws<EngineException>(() => ArchitectureRegistry.CreateSpec("vgg16_bn", hiddenSizes: new[] { 10 })).ErrorId);
        Assert.Equal("InvalidArchitectureSetting", Assert.Throws<EngineException>(() => ArchitectureRegistry.CreateSpec("vgg16_bn", inputSize: 28)).ErrorId);
        Assert.Equal("InvalidArchitectureSetting", Assert.Throws<EngineException>(() => ArchitectureRegistry.CreateSpec("resnet18", poolSize: 1)).ErrorId);
        Assert.Equal("InvalidArchitectureSetting", Assert.Throws<EngineException>(() => ArchitectureRegistry.CreateSpec("mobilenet_v2", hiddenSizes: new[] { 10 })).ErrorId);
        var spec = ArchitectureRegistry.CreateSpec("vgg16_bn", numClasses: 10, inputSize: 32, hiddenSizes: new[] { 512, 256 }, poolSize: 1);
        var again = ArchitectureSpec.FromSettings(spec.ToSettings());
        Assert.Equal(spec.ToString(), again.ToString());
        Assert.Equal("vgg16_bn(in=3, classes=10, pool=1, classifier=512-256)", again.ToString());
        using var module = ArchitectureRegistry.Build(spec);
        Assert.Equal(new long[] { 512, 512 }, Shapes(module)["classifier.0.weight"]);
    }
}
