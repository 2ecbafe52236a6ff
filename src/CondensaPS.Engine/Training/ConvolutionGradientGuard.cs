using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Keeps convolution gradients right on CPU. The oneDNN convolution in libtorch 2.10 (TorchSharp's natives) computes a
/// wrong input gradient (garbage, at times NaN) for a float32 convolution whose output channels are not a multiple
/// of its SIMD block (16 with AVX-512, 8 with AVX2); the forward pass and the weight gradient are right, and PyTorch
/// 1.13 is right on the same machine. A convolution with, say, 6 or 20 filters that is not a network's first layer
/// would train on wrong gradients. A probe (once per process) checks whether the natives have the fault; where they
/// do and a CPU model has such a convolution, backward passes run with oneDNN switched off, so libtorch's own
/// convolution computes them. The built-in ResNets (filters in multiples of 64) are never affected.
/// </summary>
internal static class ConvolutionGradientGuard
{
    private const long Block = 16;
    private static readonly Lazy<bool> Fault = new(Probe);

    /// <summary>Whether these natives compute a wrong input gradient for a convolution with 4 filters.</summary>
    public static bool FaultPresent => Fault.Value;

    /// <summary>
    /// True when backward passes through <paramref name="model"/>, fed data with <paramref name="inputChannels"/>
    /// channels, need oneDNN switched off.
    /// </summary>
    public static bool Needed(CompressionModel model, long inputChannels) =>
        model.TorchDevice.type == TorchSharp.DeviceType.CPU && HasExposedConvolution(model, inputChannels) && OneDnnSwitch.IsAvailable && FaultPresent;

    /// <summary>
    /// Whether a convolution whose output channels are not a multiple of 16 needs its input gradient. The first
    /// convolution (in parameter order) reads the data when its input channels are the data's (so in the built-in
    /// LeNet-5 and ResNets, and in ordinary PyTorch models); the data needs no gradient, so it is exempt.
    /// </summary>
    internal static bool HasExposedConvolution(CompressionModel model, long inputChannels)
    {
        var convolutions = model.NamedParameters().Where(p => p.Tensor.dim() == 4).Select(p => p.Tensor.shape).ToList();
        int first = convolutions.Count > 0 && convolutions[0][1] == inputChannels ? 1 : 0;
        return convolutions.Skip(first).Any(shape => shape[0] % Block != 0);
    }

    /// <summary>Runs <paramref name="backward"/> with oneDNN switched off when <paramref name="needed"/>.</summary>
    public static void Run(bool needed, Action backward)
    {
        if (!needed) { backward(); return; }
        bool was = OneDnnSwitch.Enabled;
        OneDnnSwitch.Enabled = false;
        try { backward(); }
        finally { OneDnnSwitch.Enabled = was; }
    }

    private static bool Probe()
    {
        // Three tries: the wrong values come from uninitialised memory, so a single call can come out right.
        for (int attempt = 0; attempt < 3; attempt++)
            if (InputGradientError() > 1e-3) return true;
        return false;
    }

    /// <summary>The relative error of a float32 convolution's input gradient (6 in, 4 out, 5x5) against float64.</summary>
    internal static double InputGradientError()
    {
        using var scope = NewDisposeScope();
        using var _ = enable_grad();
        var x = arange(4 * 6 * 12 * 12, dtype: ScalarType.Float64).reshape(4, 6, 12, 12).sin();
        var w = arange(4 * 6 * 5 * 5, dtype: ScalarType.Float64).reshape(4, 6, 5, 5).cos();
        var g = arange(4 * 4 * 8 * 8, dtype: ScalarType.Float64).reshape(4, 4, 8, 8).mul(0.37).sin();
        Tensor InputGradient(ScalarType type)
        {
            var input = x.to(type).requires_grad_(true);
            var y = nn.functional.conv2d(input, w.to(type));
            return autograd.grad(new[] { y }, new[] { input }, new[] { g.to(type) })[0].to(ScalarType.Float64);
        }
        var exact = InputGradient(ScalarType.Float64);
        var error = (InputGradient(ScalarType.Float32) - exact).abs().max().item<double>() / exact.abs().max().item<double>();
        return double.IsNaN(error) ? double.PositiveInfinity : error;
    }
}
