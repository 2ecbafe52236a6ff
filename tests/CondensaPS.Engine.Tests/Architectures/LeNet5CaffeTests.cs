using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Tests.Shared;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

/// <summary>Caffe's LeNet-5, the size Deep Compression compressed: 431,080 parameters for 1x28x28 digits.</summary>
public class LeNet5CaffeTests
{
    [Fact]
    public void Has_Caffes_layers_and_431080_parameters()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5-caffe", Seed = 1 });
        Assert.Equal(431_080, model.Parameters);
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" },
            model.NamedParameters().Select(p => p.Name));
        Assert.Equal(new long[] { 500, 800 }, model.Parameter("fc1.weight").shape);
        using var y = model.Forward(randn(3, 1, 28, 28));
        Assert.Equal(new long[] { 3, 10 }, y.shape);
        Assert.Equal("InvalidArchitectureSetting", Assert.Throws<EngineException>(() => ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5-caffe", InputSize = 12 })).ErrorId);
    }

    [PyTorchFact]
    public void PyTorch_computes_the_same_outputs_from_its_weights()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5-caffe", Seed = 2 });
        var weights = Path.Combine(dir, "w.safetensors");
        ModelExporter.Export(model, weights, ModelFileFormat.SafeTensors, overwrite: false);
        using var input = randn(4, 1, 28, 28, generator: new TorchSharp.torch.Generator(1));
        using var output = model.Forward(input);
        var io = Path.Combine(dir, "io.safetensors");
        SafeTensorsFile.Write(io, new[] { ("input", input), ("output", output) });
        var (code, text) = ModelFileFixtures.CheckWithPyTorch("safetensors", "lenet5-caffe", weights, io);
        Assert.True(code == 0, text);
    }
}
