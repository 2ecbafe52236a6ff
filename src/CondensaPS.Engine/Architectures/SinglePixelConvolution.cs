using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// Applies a 2-D convolution whose output is a single pixel (the 3x3 convolutions of a ResNet's last stage on
/// 32x32 input, where the feature map is 1x1) as the matrix product it is: the one window's input pixels times the
/// kernel taps that fall on them. The result and its gradients are those of the convolution (the other taps only
/// ever meet padding, so their gradient is zero either way); the reason is speed. oneDNN, behind both libtorch 2.10
/// and PyTorch 1.13, computes the weight gradient of a 3x3 convolution of a 1x1 feature map some 20 times slower
/// than the product does (bench/retrain measures it). Any other convolution runs as the module itself.
/// </summary>
internal static class SinglePixelConvolution
{
    public static Tensor Apply(Conv2d conv, Tensor input)
    {
        if (!Applies(conv, input, out var rows, out var cols)) return conv.call(input);
        using var scope = NewDisposeScope();
        var window = input.narrow(2, 0, rows).narrow(3, 0, cols);
        var taps = conv.weight!.narrow(2, conv.padding![0], rows).narrow(3, conv.padding[1], cols);
        var output = nn.functional.linear(window.flatten(1), taps.flatten(1), conv.bias)
            .view(input.shape[0], conv.out_channels, 1, 1);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// True when the convolution maps <paramref name="input"/> to a single pixel and touches at least one input pixel
    /// (ungrouped, undilated, zero padding). Its one window then covers the first <paramref name="rows"/> rows and
    /// <paramref name="cols"/> columns of the input, which meet the kernel taps from (padding, padding) on.
    /// </summary>
    internal static bool Applies(Conv2d conv, Tensor input, out long rows, out long cols)
    {
        rows = cols = default;
        if (input.dim() != 4 || conv.groups != 1 || conv.transposed || conv.padding_type != null || conv.padding_mode != PaddingModes.Zeros) return false;
        if (conv.weight is null || conv.dilation is not { Length: 2 } || conv.dilation.Any(d => d != 1)) return false;
        if (conv.padding is not { Length: 2 } || conv.kernel_size is not { Length: 2 } || conv.stride is not { Length: 2 }) return false;
        return Window(input.shape[2], conv.kernel_size[0], conv.stride[0], conv.padding[0], out rows)
            && Window(input.shape[3], conv.kernel_size[1], conv.stride[1], conv.padding[1], out cols);
    }

    private static bool Window(long size, long kernel, long stride, long padding, out long covered)
    {
        covered = default;
        long outputs = (size + 2 * padding - kernel) / stride + 1;
        if (size + 2 * padding < kernel || outputs != 1) return false;
        // The one window spans input pixels [-padding, kernel - padding); those inside the input are used.
        long end = Math.Min(size, kernel - padding);
        if (end <= 0) return false;
        covered = end;
        return true;
    }
}
