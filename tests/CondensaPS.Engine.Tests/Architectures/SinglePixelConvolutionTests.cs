using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Architectures;

public class SinglePixelConvolutionTests
{
    public SinglePixelConvolutionTests() => TorchRuntime.EnsureInitialized();

    // (input channels, output channels, kernel, stride, padding, input size, bias)
    public static TheoryData<long, long, long, long, long, long, bool> SinglePixelCases => new()
    {
        { 8, 6, 3, 1, 1, 1, false },  // ResNet's 3x3 convolutions of a 1x1 feature map
        { 8, 6, 3, 2, 1, 2, false },  // the strided first convolution of the last stage: 2x2 in, 1x1 out
        { 8, 6, 1, 2, 0, 2, false },  // a 1x1 downsample of a 2x2 map
        { 5, 4, 3, 1, 0, 3, true },   // no padding: the window is the whole input
        { 5, 4, 5, 1, 2, 1, true },   // a 5x5 kernel, only its centre meets the pixel
        { 5, 4, 3, 3, 1, 2, true },   // 2x2 input, stride 3
    };

    [Theory]
    [MemberData(nameof(SinglePixelCases))]
    public void Output_and_gradients_are_those_of_the_convolution(long cin, long cout, long k, long stride, long padding, long size, bool bias)
    {
        using var scope = NewDisposeScope();
        // In float64: libtorch 2.10's float32 oneDNN convolution gets input gradients wrong for filter counts that
        // are not a multiple of 16 (ConvolutionGradientGuard), which would spoil the reference here.
        var conv = nn.Conv2d(cin, cout, k, stride: stride, padding: padding, bias: bias, dtype: ScalarType.Float64);
        var x = randn(4, cin, size, size, dtype: ScalarType.Float64);
        Assert.True(SinglePixelConvolution.Applies(conv, x, out _, out _));

        var (expected, expectedGrads) = OutputAndGradients(conv, x, c => c.call);
        var (actual, actualGrads) = OutputAndGradients(conv, x, c => input => SinglePixelConvolution.Apply(c, input));

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(actual, expected, rtol: 1e-10, atol: 1e-10));
        Assert.Equal(expectedGrads.Length, actualGrads.Length);
        for (int i = 0; i < expectedGrads.Length; i++)
            Assert.True(allclose(actualGrads[i], expectedGrads[i], rtol: 1e-10, atol: 1e-10), $"gradient {i} differs by up to {(actualGrads[i] - expectedGrads[i]).abs().max().item<double>()} (largest {expectedGrads[i].abs().max().item<double>()})");
    }

    [Fact]
    public void Other_convolutions_run_as_the_module_itself()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 4, 2, 2);
        Assert.False(SinglePixelConvolution.Applies(nn.Conv2d(4, 4, 3, padding: 1), x, out _, out _));          // 2x2 out
        Assert.False(SinglePixelConvolution.Applies(nn.Conv2d(4, 4, 3, padding: 1, dilation: 2), randn(2, 4, 1, 1), out _, out _));
        Assert.False(SinglePixelConvolution.Applies(nn.Conv2d(4, 4, 3, padding: 1, groups: 2), randn(2, 4, 1, 1), out _, out _));
        Assert.False(SinglePixelConvolution.Applies(nn.Conv2d(4, 4, 3, padding: 1, padding_mode: PaddingModes.Reflect), randn(2, 4, 1, 1), out _, out _));
        var conv = nn.Conv2d(4, 3, 3, padding: 1);
        Assert.True(allclose(SinglePixelConvolution.Apply(conv, x), conv.call(x), rtol: 0, atol: 0));
    }

    [Fact]
    public void A_ResNet18_on_32x32_input_uses_it_in_its_last_stage_and_matches_plain_convolutions()
    {
        using var scope = NewDisposeScope();
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputChannels = 3, InputSize = 32, Seed = 4 });
        var x = randn(3, 3, 32, 32);
        model.Module.eval();
        var logits = model.Forward(x);
        // The same network evaluated with every convolution as the module itself.
        var plain = PlainResNetForward(model, x);
        Assert.True(allclose(logits, plain, rtol: 1e-4, atol: 1e-5));
    }

    private static (Tensor Output, Tensor[] Gradients) OutputAndGradients(Conv2d conv, Tensor x, Func<Conv2d, Func<Tensor, Tensor>> run)
    {
        var input = x.detach().clone().requires_grad_(true);
        conv.zero_grad();
        var y = run(conv)(input);
        // A loss that weighs every output element differently, so each gradient is checked in full.
        var weights = arange(y.numel(), dtype: y.dtype).reshape(y.shape).sin();
        (y * weights).sum().backward();
        var grads = new List<Tensor> { input.grad!.clone() };
        grads.Add(conv.weight!.grad!.clone());
        if (conv.bias is not null) grads.Add(conv.bias.grad!.clone());
        return (y.detach(), grads.ToArray());
    }

    private static Tensor PlainResNetForward(CompressionModel model, Tensor x)
    {
        using var _ = no_grad();
        var m = model.Module.named_modules().ToDictionary(p => p.name, p => p.module);
        Tensor Conv(string n, Tensor t) => ((Conv2d)m[n]).call(t);
        Tensor Bn(string n, Tensor t) => ((BatchNorm2d)m[n]).call(t);
        var h = nn.functional.max_pool2d(nn.functional.relu(Bn("bn1", Conv("conv1", x))), 3, 2, 1);
        foreach (var layer in new[] { "layer1", "layer2", "layer3", "layer4" })
            for (int b = 0; b < 2; b++)
            {
                var p = $"{layer}.{b}.";
                var o = nn.functional.relu(Bn(p + "bn1", Conv(p + "conv1", h)));
                o = Bn(p + "bn2", Conv(p + "conv2", o));
                var identity = m.ContainsKey(p + "downsample") ? Bn(p + "downsample.1", Conv(p + "downsample.0", h)) : h;
                h = nn.functional.relu(o + identity);
            }
        return ((Linear)m["fc"]).call(nn.functional.adaptive_avg_pool2d(h, 1).flatten(1));
    }
}
