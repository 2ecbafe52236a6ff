using CondensaPS.Engine.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

public class ResNetForwardTests
{
    public ResNetForwardTests() => TorchRuntime.EnsureInitialized();

    /// <summary>
    /// torchvision's ResNet-18 forward pass written out of place from the model's own layers: the built-in module,
    /// which applies its activations and residual sums in place, must give the same output and gradients.
    /// </summary>
    private static Tensor OutOfPlace(IReadOnlyDictionary<string, nn.Module> layers, Tensor input)
    {
        Tensor Call(string name, Tensor x) => ((nn.Module<Tensor, Tensor>)layers[name]).call(x);
        var x = nn.functional.relu(Call("bn1", Call("conv1", input)));
        x = nn.functional.max_pool2d(x, 3, 2, 1);
        for (int layer = 1; layer <= 4; layer++)
            for (int block = 0; block < 2; block++)
            {
                var prefix = $"layer{layer}.{block}.";
                var output = nn.functional.relu(Call(prefix + "bn1", Call(prefix + "conv1", x)));
                output = Call(prefix + "bn2", Call(prefix + "conv2", output));
                var identity = layers.ContainsKey(prefix + "downsample") ? Call(prefix + "downsample", x) : x;
                x = nn.functional.relu(output + identity);
            }
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return Call("fc", x);
    }

    [Fact]
    public void In_place_activations_give_the_out_of_place_outputs_and_gradients()
    {
        using var scope = NewDisposeScope();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputChannels = 3, InputSize = 32, Seed = 4 });
        model.Module.train();
        var layers = model.Module.named_modules().ToDictionary(m => m.name, m => m.module);
        var parameters = model.Module.named_parameters().ToList();
        random.manual_seed(2);
        var x = randn(4, 3, 32, 32);
        var y = tensor(new long[] { 1, 7, 3, 0 });

        var builtIn = model.Forward(x);
        nn.functional.cross_entropy(builtIn, y).backward();
        var builtInGradients = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        foreach (var (_, p) in parameters) p.grad = null!;

        var reference = OutOfPlace(layers, x);
        nn.functional.cross_entropy(reference, y).backward();

        Assert.True(builtIn.allclose(reference, rtol: 1e-5, atol: 1e-6));
        foreach (var (name, p) in parameters)
            Assert.True(builtInGradients[name].allclose(p.grad!, rtol: 1e-4, atol: 1e-6), $"gradient of {name}");
    }
}
