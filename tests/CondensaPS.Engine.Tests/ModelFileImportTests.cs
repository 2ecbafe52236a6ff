using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;

namespace CondensaPS.Engine.Tests;

/// <summary>Every PyTorch-made fixture loads and reproduces PyTorch's outputs.</summary>
public class ModelFileImportTests
{
    [Theory]
    [InlineData("lenet5_scripted.pt", "lenet5", false)]
    [InlineData("lenet5_traced.pt", "lenet5", true)]
    [InlineData("bn_cnn_scripted.pt", "bn_cnn", false)]
    [InlineData("bn_cnn_traced.pt", "bn_cnn", true)]
    public void TorchScript_fixtures_reproduce_PyTorch_and_traced_ones_are_detected(string file, string io, bool traced)
    {
        Assert.Equal(ModelFileFormat.TorchScript, ModelFileFormatDetector.Detect(TestPaths.Fixture(file)));
        Assert.Equal(traced, TorchScriptArchive.IsTraced(TestPaths.Fixture(file)));
        using var model = ModelLoader.Load(TestPaths.Fixture(file), new ModelLoadOptions());
        Assert.True(model.IsTorchScript);
        Assert.Equal(traced, model.IsTraced);
        Assert.InRange(MaxDiff(model, io), 0, Tolerance);
    }

    [Theory]
    [InlineData("lenet5_state_dict.pt", "lenet5", "lenet5", 61706)]
    [InlineData("mlp_state_dict.pt", "mlp", "mlp", 235146)]
    [InlineData("lenet5_checkpoint.pth", "lenet5", "lenet5", 61706)]
    public void State_dicts_load_into_built_in_architectures_and_reproduce_PyTorch(string file, string architecture, string io, long parameters)
    {
        Assert.Equal(ModelFileFormat.PyTorchStateDict, ModelFileFormatDetector.Detect(TestPaths.Fixture(file)));
        var log = new List<string>();
        using var model = ModelLoader.Load(TestPaths.Fixture(file), new ModelLoadOptions { Architecture = architecture },
            new Operations.OperationContext { Verbose = log.Add });
        Assert.Equal(architecture, model.Architecture);
        Assert.Equal(parameters, model.Parameters);
        Assert.InRange(MaxDiff(model, io), 0, Tolerance);
        if (file.EndsWith(".pth"))
        {
            Assert.Contains(log, l => l.Contains("checkpoint") && l.Contains("'state_dict'"));
            Assert.Contains(log, l => l.Contains("'module.' prefix"));
        }
    }

    [Fact]
    public void Checkpoint_is_unwrapped_and_DataParallel_prefix_removed()
    {
        var state = PyTorchStateDictFile.Read(TestPaths.Fixture("lenet5_checkpoint.pth"));
        try
        {
            Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias" },
                state.Keys.ToArray());
            Assert.Equal(new long[] { 6, 1, 5, 5 }, state["conv1.weight"].shape);
        }
        finally { foreach (var t in state.Values) t.Dispose(); }
    }

    [Fact]
    public void Every_storage_dtype_and_view_reads_as_PyTorch_wrote_it()
    {
        var actual = PyTorchStateDictFile.Read(TestPaths.Fixture("dtypes_state_dict.pt"));
        var expected = SafeTensorsFile.Read(TestPaths.Fixture("dtypes_expected.safetensors"));
        try
        {
            Assert.Equal(expected.Keys.OrderBy(k => k), actual.Keys.OrderBy(k => k));
            foreach (var (name, e) in expected)
            {
                var a = actual[name];
                Assert.True(e.dtype == a.dtype, $"{name}: {a.dtype} instead of {e.dtype}");
                Assert.Equal(e.shape, a.shape);
                Assert.True(a.is_contiguous(), name);
                Assert.Equal(e.bytes.ToArray(), a.bytes.ToArray());
            }
            // The views copied the right elements (base is arange(24)/8 reshaped 4x6).
            Assert.Equal(new[] { 1.0f, 1.125f, 1.25f, 1.75f, 1.875f, 2.0f }, actual["slice"].data<float>().ToArray());
            Assert.Equal(new[] { 0f, 0.75f, 1.5f, 2.25f }, actual["transposed"][0].data<float>().ToArray());
            Assert.Equal(-(1L << 40), actual["i64"][0].item<long>());
            Assert.Empty(actual["scalar"].shape);
            Assert.Equal(new long[] { 0, 4 }, actual["empty"].shape);
        }
        finally
        {
            foreach (var t in actual.Values.Concat(expected.Values)) t.Dispose();
        }
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("vgg16_bn")]
    [InlineData("vgg19_bn")]
    [InlineData("mobilenet_v2")]
    public void Parameter_and_buffer_names_and_shapes_match_torchvision_exactly(string architecture)
    {
        var lines = File.ReadAllLines(TestPaths.Fixture(architecture + "_names.txt")).Select(l => l.Split('\t')).ToList();
        var torchvisionParameters = lines.Where(l => l[1] == "parameter").Select(l => (l[0], l[2])).ToList();
        var torchvisionBuffers = lines.Where(l => l[1] == "buffer").Select(l => (l[0], l[2])).OrderBy(x => x.Item1).ToList();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = architecture });
        static string Shape(TorchSharp.torch.Tensor t) => string.Join("x", t.shape);
        // Parameters in the same order as torchvision's state_dict (so optimiser states line up); buffers as a set.
        Assert.Equal(torchvisionParameters, model.NamedParameters().Select(p => (p.Name, Shape(p.Tensor))).ToList());
        Assert.Equal(torchvisionBuffers, model.NamedBuffers().Select(b => (b.Name, Shape(b.Tensor))).OrderBy(x => x.Item1).ToList());
    }
}
