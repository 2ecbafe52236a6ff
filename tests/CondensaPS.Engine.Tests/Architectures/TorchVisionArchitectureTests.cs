using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

/// <summary>The built-in VGGs and MobileNetV2 are torchvision's: its modules load our weights strictly and compute our outputs.</summary>
[Collection("OneDnnSwitch")] // the gradient checks switch oneDNN off where the guard says so, process-wide
public class TorchVisionArchitectureTests
{
    public TorchVisionArchitectureTests() => TorchRuntime.EnsureInitialized();

    [PyTorchTheory]
    [InlineData("vgg16_bn", false)]
    [InlineData("vgg19_bn", false)]
    [InlineData("vgg16_bn", true)]
    [InlineData("mobilenet_v2", false)]
    public void Torchvision_loads_our_weights_strictly_and_gets_our_outputs(string architecture, bool narrowed)
    {
        var dir = TestPaths.NewTempFolder();
        var spec = BuiltInModels.Spec(architecture);
        if (narrowed) spec = spec.WithWidths(spec.LayerWidths().Where(w => w.Key.StartsWith("features.")).ToDictionary(w => w.Key, w => w.Value * 3 / 4));
        random.manual_seed(2);
        using var model = BuiltInModels.Calibrated(Models.CompressionModel.FromBuiltIn(Engine.Architectures.ArchitectureRegistry.Build(spec), spec, architecture, "test", CPU));
        var weights = Path.Combine(dir, "weights.safetensors");
        ModelExporter.Export(model, weights, ModelFileFormat.SafeTensors, overwrite: false);
        var io = Path.Combine(dir, "io.safetensors");
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var input = BuiltInModels.Input(spec, 4, seed: 5);
            SafeTensorsFile.Write(io, new[] { ("input", input), ("output", model.Forward(input)) });
        }
        var settings = new List<string> { "torchvision", architecture, weights, io, $"num_classes={spec.NumClasses}" };
        if (spec.PoolSize > 0) settings.AddRange(new[] { $"pool={spec.PoolSize}", $"hidden={string.Join(",", spec.HiddenSizes)}" });
        if (narrowed) settings.Add("widths=" + string.Join(",", spec.LayerWidths().Where(w => w.Key.StartsWith("features.")).Select(w => w.Value)));
        var (code, output) = PyTorchScript.Run(TestPaths.Fixture("check_builtin_with_pytorch.py"), settings.ToArray());
        Assert.True(code == 0, output);
        Assert.Contains("eval max abs diff", output);
        Directory.Delete(dir, true);
    }

    /// <summary>
    /// A backward pass's float32 gradients, with oneDNN switched off where <see cref="ConvolutionGradientGuard"/> says
    /// it must be, against float64: every parameter's gradient within 1e-4, relative to its largest entry. Narrowed
    /// models have filters that are not multiples of 16, where this libtorch's oneDNN gets input gradients wrong.
    /// </summary>
    [Theory]
    [InlineData("vgg16_bn", false)]
    [InlineData("vgg16_bn", true)]
    [InlineData("mobilenet_v2", false)]
    [InlineData("mobilenet_v2", true)]
    public void Training_gradients_are_the_float64_ones(string architecture, bool narrowed)
    {
        var spec = BuiltInModels.Spec(architecture);
        if (narrowed) spec = spec.WithWidths(spec.LayerWidths().ToDictionary(w => w.Key, w => w.Value - w.Value / 3));
        using var scope = NewDisposeScope();
        var x = BuiltInModels.Input(spec, 4, seed: 11).to(ScalarType.Float64);
        var labels = tensor(new long[] { 1, 7, 3, 0 });
        random.manual_seed(3);
        using var trained = BuiltInModels.Calibrated(Models.CompressionModel.FromBuiltIn(Engine.Architectures.ArchitectureRegistry.Build(spec), spec, "m", "test", CPU));
        Dictionary<string, Tensor> Gradients(ScalarType type)
        {
            using var model = trained.Clone();
            bool guard = type != ScalarType.Float64 && ConvolutionGradientGuard.Needed(model, spec.InputChannels);
            model.Module.to(type);
            // Batch norm in eval mode: with batch statistics over the few values of a 1x1 map, float32 rounding would
            // be amplified into the first layers' gradients, fault or not (2% measured on MobileNetV2's stem).
            model.Module.eval();
            var loss = nn.functional.cross_entropy(model.Forward(x.to(type)), labels);
            ConvolutionGradientGuard.Run(guard, loss.backward);
            return model.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.to(ScalarType.Float64).clone());
        }
        var exact = Gradients(ScalarType.Float64);
        var single = Gradients(ScalarType.Float32);
        // A convolution's bias before batch norm has no gradient but rounding: measure against the model's scale there.
        double floor = 1e-4 * exact.Values.Max(g => g.abs().max().item<double>());
        foreach (var (name, g) in exact)
        {
            double error = (single[name] - g).abs().max().item<double>() / Math.Max(floor, g.abs().max().item<double>());
            Assert.True(error < 1e-4, $"{name}: relative error {error}");
        }
    }
}
