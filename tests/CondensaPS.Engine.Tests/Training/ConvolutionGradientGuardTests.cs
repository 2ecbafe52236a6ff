using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

[Collection("OneDnnSwitch")] // the switch is process-wide
public class ConvolutionGradientGuardTests
{
    public ConvolutionGradientGuardTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void The_switch_is_reachable_in_these_natives_and_is_on_by_default()
    {
        Assert.True(OneDnnSwitch.IsAvailable);
        Assert.True(OneDnnSwitch.Enabled);
    }

    [Fact]
    public void A_guarded_backward_gives_the_right_input_gradient_and_restores_the_switch()
    {
        double error = double.NaN;
        ConvolutionGradientGuard.Run(true, () => error = ConvolutionGradientGuard.InputGradientError());
        Assert.True(error < 1e-5, $"relative error {error}");
        Assert.True(OneDnnSwitch.Enabled);
        Assert.Throws<InvalidOperationException>(() => ConvolutionGradientGuard.Run(true, () => throw new InvalidOperationException()));
        Assert.True(OneDnnSwitch.Enabled);
    }

    [Fact]
    public void The_probe_agrees_with_what_an_unguarded_backward_gives()
    {
        // Where the natives have the fault, unguarded input gradients go wrong at least some of the time.
        var errors = Enumerable.Range(0, 5).Select(_ => ConvolutionGradientGuard.InputGradientError()).ToList();
        if (ConvolutionGradientGuard.FaultPresent) Assert.Contains(errors, e => e > 1e-3);
        else Assert.All(errors, e => Assert.True(e < 1e-5));
    }

    [Fact]
    public void Only_a_convolution_that_needs_its_input_gradient_and_has_unaligned_filters_counts()
    {
        using var lenet = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 1 });      // 6 filters, but it reads the data
        using var resnet = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputChannels = 3, InputSize = 32 });
        using var cnn = ModelLoader.Load(TestPaths.Fixture("bn_cnn_scripted.pt"), new ModelLoadOptions()); // conv2 has 8 filters
        Assert.False(ConvolutionGradientGuard.HasExposedConvolution(lenet, 1));
        Assert.False(ConvolutionGradientGuard.HasExposedConvolution(resnet, 3));
        Assert.True(ConvolutionGradientGuard.HasExposedConvolution(cnn, 1));
        Assert.True(ConvolutionGradientGuard.HasExposedConvolution(lenet, 3)); // fed 3 channels, conv1 is not known to read the data
        // A TorchScript LeNet-5: its forward is its own, so its first convolution (6 filters) is not known to read the data.
        using var scripted = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        Assert.True(ConvolutionGradientGuard.HasExposedConvolution(scripted, 1));
    }

    [PyTorchFact]
    public void A_TorchScript_model_that_normalizes_its_input_before_a_6_filter_convolution_gets_the_float64_gradients()
    {
        // The first convolution in parameter order reads the data's 1 channel, but through a batch norm whose weight
        // gradient passes through that convolution's input gradient.
        var dir = Directory.CreateTempSubdirectory("condensaps-input-norm-");
        try
        {
            var path = MakeTorchScript(dir, "input_norm", """
                import sys, torch
                class InputNorm(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.norm = torch.nn.BatchNorm2d(1)
                        self.conv = torch.nn.Conv2d(1, 6, 5)
                        self.fc = torch.nn.Linear(6 * 8 * 8, 10)
                    def forward(self, x):
                        return self.fc(torch.flatten(torch.relu(self.conv(self.norm(x))), 1))
                torch.manual_seed(0)
                torch.jit.script(InputNorm()).save(sys.argv[1])
                """);
            using (var model = ModelLoader.Load(path, new ModelLoadOptions()))
                Assert.Equal(ConvolutionGradientGuard.FaultPresent, ConvolutionGradientGuard.Needed(model, 1));
            for (int attempt = 0; attempt < 3; attempt++) // the wrong values come from uninitialised memory
            {
                var error = GuardedGradientError(path, "norm.weight");
                Assert.True(error < 1e-4, $"relative error {error}");
            }
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void Training_a_model_with_an_exposed_convolution_gets_the_float64_gradients()
    {
        // bn_cnn: conv1 (4 filters) feeds conv2 (8 filters), so conv1's weight gradient passes through conv2's input gradient.
        var error = GuardedGradientError(TestPaths.Fixture("bn_cnn_scripted.pt"), "conv1.weight");
        Assert.True(error < 1e-4, $"relative error {error}");
    }

    /// <summary>
    /// The relative error of a parameter's float32 gradient, over one training batch of 1-channel 12x12 inputs, with
    /// the guard on where it says it is needed, against the same gradient in float64.
    /// </summary>
    private static double GuardedGradientError(string modelPath, string parameter)
    {
        var x = arange(8 * 1 * 12 * 12, dtype: ScalarType.Float64).reshape(8, 1, 12, 12).mul(0.71).sin();
        var labels = arange(8, dtype: ScalarType.Int64);
        Tensor Gradient(ScalarType type)
        {
            using var model = ModelLoader.Load(modelPath, new ModelLoadOptions());
            bool guard = type != ScalarType.Float64 && ConvolutionGradientGuard.Needed(model, 1);
            model.Module.to(type);
            model.Module.train();
            var loss = nn.functional.cross_entropy(model.Forward(x.to(type)), labels);
            ConvolutionGradientGuard.Run(guard, loss.backward);
            return model.Module.named_parameters().Single(p => p.name == parameter).parameter.grad!.to(ScalarType.Float64).clone();
        }
        var exact = Gradient(ScalarType.Float64);
        var guarded = Gradient(ScalarType.Float32);
        return ((guarded - exact).abs().max() / exact.abs().max()).item<double>();
    }

    /// <summary>Runs a Python script that saves a TorchScript model to its first argument; returns the model's path.</summary>
    private static string MakeTorchScript(DirectoryInfo dir, string name, string script)
    {
        var path = Path.Combine(dir.FullName, name + ".pt");
        var scriptPath = Path.Combine(dir.FullName, $"make_{name}.py"); // torch.jit.script reads the class's source file
        File.WriteAllText(scriptPath, script);
        var (exitCode, output) = PyTorchScript.Run(scriptPath, path);
        Assert.True(exitCode == 0, output);
        return path;
    }

    [Fact]
    public void Only_TorchScript_models_with_wide_pointwise_convolutions_are_guarded_against_the_strided_crash()
    {
        using var resnet18 = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputChannels = 3, InputSize = 32 });
        using var resnet50 = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet50", NumClasses = 10, InputChannels = 3, InputSize = 32 });
        Assert.False(ConvolutionGradientGuard.HasWidePointwiseConvolution(resnet18)); // 1x1 projections up to 256-to-512
        Assert.True(ConvolutionGradientGuard.HasWidePointwiseConvolution(resnet50));
        Assert.Null(ConvolutionGradientGuard.Why(resnet18, 3));
        Assert.Null(ConvolutionGradientGuard.Why(resnet50, 3)); // built in: its projections run at stride 1
    }

    [PyTorchFact]
    public void A_TorchScript_model_with_a_strided_256_to_1024_projection_retrains_instead_of_crashing()
    {
        // Without the guard this backward pass kills the test process (SIGFPE inside libtorch 2.10's oneDNN).
        var dir = Directory.CreateTempSubdirectory("condensaps-projection-");
        try
        {
            var path = MakeTorchScript(dir, "projection", """
                import sys, torch
                class Projection(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.conv = torch.nn.Conv2d(1, 256, 3, padding=1)
                        self.projection = torch.nn.Conv2d(256, 1024, 1, stride=2, bias=False)
                        self.fc = torch.nn.Linear(1024, 10)
                    def forward(self, x):
                        x = self.projection(torch.relu(self.conv(x)))
                        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))
                torch.manual_seed(0)
                torch.jit.script(Projection()).save(sys.argv[1])
                """);
            using var model = ModelLoader.Load(path, new ModelLoadOptions());
            Assert.Contains("crashes", ConvolutionGradientGuard.Why(model, 1));
            var s = new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", 1L).Set("batch-size", 16L);
            using var trained = OperationRunner.Run("retrain", model, s, new OperationInputs { TrainingData = RetrainTestData.Train(32) });
            Assert.All(trained.NamedParameters(), p => Assert.True(p.Tensor.isfinite().all().item<bool>(), p.Name));
        }
        finally { dir.Delete(recursive: true); }
    }
}
