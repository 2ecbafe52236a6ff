using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Keeps convolution gradients right on CPU. The oneDNN convolution in libtorch 2.10 (TorchSharp's natives) computes a
/// wrong input gradient (garbage, at times NaN) for a float32 convolution whose output channels are not a multiple
/// of its SIMD block (16 with AVX-512, 8 with AVX2); the forward pass and the weight gradient are right, and PyTorch
/// 1.13 is right on the same machine. A convolution with, say, 6 or 20 filters that is not a network's first layer
/// would train on wrong gradients (in a TorchScript model, which runs its own forward, any such convolution counts).
/// A probe (once per process) checks whether the natives have the fault; where they do and a CPU model has such a
/// convolution, backward passes run with oneDNN switched off, so libtorch's own convolution computes them. The built-in
/// ResNets and VGGs at their default widths (filters in multiples of 64) are never affected; MobileNetV2 (24-filter
/// projections) and models with narrowed layers are, where the natives have the fault.
/// The same oneDNN kills the process (SIGFPE while it plans the kernel) in the backward pass of some strided 1x1
/// convolutions. bench/pointwise-crash-scan runs each stride-2 1x1 backward pass in its own process over 169 in/out
/// channel pairs from 64 to 2048: 256-to-1024, 512-to-1024, 512-to-2048, 1024-to-512 and 1024-to-2048 (ResNet-50's
/// projections among them) crash; every pair without 1024 or more channels on one side survives. The built-in ResNets
/// run their projections at stride 1; a TorchScript model runs its own forward, and its strides cannot be read from
/// its parameters, so a TorchScript model on CPU with a 1x1 convolution of 1024 or more channels on either side also
/// trains with oneDNN switched off in backward passes: slower, but the process lives.
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
    public static bool Needed(CompressionModel model, long inputChannels) => Why(model, inputChannels) != null;

    /// <summary>Why backward passes through the model need oneDNN switched off, or null when they do not.</summary>
    public static string? Why(CompressionModel model, long inputChannels)
    {
        if (model.TorchDevice.type != TorchSharp.DeviceType.CPU || !OneDnnSwitch.IsAvailable) return null;
        if (model.IsTorchScript && HasWidePointwiseConvolution(model))
            return "Convolution gradients are computed without oneDNN: this libtorch's oneDNN crashes the process on the backward pass of some strided 1x1 convolutions (such as ResNet-50's projections), and a TorchScript model's strides cannot be checked.";
        if (HasExposedConvolution(model, inputChannels) && FaultPresent)
            return "Convolution input gradients are computed without oneDNN: this libtorch's oneDNN gets them wrong for convolutions whose output channels are not a multiple of 16.";
        return null;
    }

    /// <summary>Whether the model has a 1x1 convolution with 1024 or more input or output channels.</summary>
    internal static bool HasWidePointwiseConvolution(CompressionModel model) =>
        model.NamedParameters().Select(p => p.Tensor).Any(t => t.dim() == 4 && t.shape[2] == 1 && t.shape[3] == 1 && Math.Max(t.shape[0], t.shape[1]) >= 1024);

    /// <summary>
    /// Whether a convolution whose output channels are not a multiple of 16 may need its input gradient. In every
    /// built-in architecture (LeNet-5, the ResNets, the VGGs, MobileNetV2) the first convolution reads the data, which
    /// needs no gradient, so it is exempt when its input channels are the data's. A TorchScript model runs its own
    /// forward: its parameter order need not follow that forward, and a layer with parameters before the first
    /// convolution (a batch norm over the input, say) needs that convolution's input gradient, so no convolution of it
    /// is exempt.
    /// </summary>
    internal static bool HasExposedConvolution(CompressionModel model, long inputChannels)
    {
        var convolutions = model.NamedParameters().Where(p => p.Tensor.dim() == 4).Select(p => p.Tensor.shape).ToList();
        int first = !model.IsTorchScript && convolutions.Count > 0 && convolutions[0][1] == inputChannels ? 1 : 0;
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
