using CondensaPS.Engine.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

public class ResNetForwardTests
{
    public ResNetForwardTests() => TorchRuntime.EnsureInitialized();

    /// <summary>
    /// torchvision's ResNet forward pass (basic blocks or bottlenecks) written out of place from the model's own
    /// layers: the built-in module, which applies its activations and residual sums in place, must give the same
    /// output and gradients.
    /// </summary>
    private static Tensor OutOfPlace(IReadOnlyDictionary<string, nn.Module> layers, Tensor input)
    {
        Tensor Call(string name, Tensor x) => ((nn.Module<Tensor, Tensor>)layers[name]).call(x);
        var x = nn.functional.relu(Call("bn1", Call("conv1", input)));
        x = nn.functional.max_pool2d(x, 3, 2, 1);
        for (int layer = 1; layer <= 4; layer++)
            for (int block = 0; layers.ContainsKey($"layer{layer}.{block}"); block++)
            {
                var prefix = $"layer{layer}.{block}.";
                var output = nn.functional.relu(Call(prefix + "bn1", Call(prefix + "conv1", x)));
                output = Call(prefix + "bn2", Call(prefix + "conv2", output));
                if (layers.ContainsKey(prefix + "conv3"))
                    output = Call(prefix + "bn3", Call(prefix + "conv3", nn.functional.relu(output)));
                var identity = layers.ContainsKey(prefix + "downsample") ? Call(prefix + "downsample", x) : x;
                x = nn.functional.relu(output + identity);
            }
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return Call("fc", x);
    }

    private static double RelativeError(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<double>() / Math.Max(1e-300, expected.abs().max().item<double>());

    /// <summary>
    /// The built-in ResNets apply activations and residual sums in place and compute strided projections on
    /// subsampled pixels; the reference is the plain out-of-place forward. In float64, where both are exact to
    /// rounding, so that batch norm over a batch of four 1x1 maps does not amplify float32 rounding.
    /// </summary>
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    public void Forward_and_gradients_match_torchvision_written_out_of_place(string architecture)
    {
        using var scope = NewDisposeScope();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = architecture, NumClasses = 10, InputChannels = 3, InputSize = 32, Seed = 4 });
        model.Module.to(ScalarType.Float64);
        model.Module.train();
        var layers = model.Module.named_modules().ToDictionary(m => m.name, m => m.module);
        var parameters = model.Module.named_parameters().ToList();
        random.manual_seed(2);
        var x = randn(4, 3, 32, 32, dtype: ScalarType.Float64);
        var y = tensor(new long[] { 1, 7, 3, 0 });

        var builtIn = model.Forward(x);
        nn.functional.cross_entropy(builtIn, y).backward();
        var builtInGradients = parameters.ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        foreach (var (_, p) in parameters) p.grad = null!;

        var reference = OutOfPlace(layers, x);
        nn.functional.cross_entropy(reference, y).backward();

        Assert.True(RelativeError(builtIn, reference) < 1e-9, $"outputs {RelativeError(builtIn, reference)} apart");
        foreach (var (name, p) in parameters)
        {
            double error = RelativeError(builtInGradients[name], p.grad!);
            Assert.True(error < 1e-8, $"gradient of {name}: {error} apart");
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void ResNet50_trains_in_float32_where_strided_projections_crash_oneDnn(int size)
    {
        // Before the projections ran at stride 1 on subsampled pixels, this backward pass killed the process
        // (SIGFPE inside oneDNN's planning of the strided 1x1 backward kernel, libtorch 2.10) at every size tried.
        using var scope = NewDisposeScope();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet50", NumClasses = 10, InputChannels = 3, InputSize = size, Seed = 4 });
        model.Module.train();
        random.manual_seed(3);
        nn.functional.cross_entropy(model.Forward(randn(2, 3, size, size)), tensor(new long[] { 4, 9 })).backward();
        foreach (var (name, p) in model.Module.named_parameters())
            Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>(), $"gradient of {name}");
    }
}
