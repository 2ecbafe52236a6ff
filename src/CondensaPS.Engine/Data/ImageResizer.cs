using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Data;

/// <summary>
/// The one-time resize done at import: the uint8 samples become float, are scaled by bilinear interpolation
/// (torch.nn.functional.interpolate, align_corners false, no antialiasing: PyTorch's defaults) and are rounded back to
/// uint8 (clamped to 0..255). Work goes in chunks so a large data set never needs all its float copies at once.
/// </summary>
public static class ImageResizer
{
    private const int Chunk = 512;

    /// <summary>Reads "-Resize n" (n x n) or "-Resize h,w"; both sides must be 1..4096.</summary>
    public static (int Height, int Width) ParseSize(IReadOnlyList<int> size)
    {
        if (size.Count is < 1 or > 2)
            throw new EngineException("DatasetBadResize", EngineErrorKind.InvalidArgument,
                $"A resize takes one size (n for n x n) or two (height,width); got {size.Count} values.", size);
        int h = size[0], w = size.Count == 2 ? size[1] : size[0];
        if (h is < 1 or > 4096 || w is < 1 or > 4096)
            throw new EngineException("DatasetBadResize", EngineErrorKind.InvalidArgument,
                $"Resize sides must be between 1 and 4096 pixels; got {h}x{w}.", size);
        return (h, w);
    }

    /// <summary>The data set with every sample resized to <paramref name="height"/> x <paramref name="width"/> (itself when already that size).</summary>
    public static Dataset Resize(Dataset data, int height, int width)
    {
        if (data.Height == height && data.Width == width) return data;
        var pixels = Resize(data.Pixels, data.Count, data.Channels, data.Height, data.Width, height, width);
        var resized = new Dataset(data.Name, data.Source, data.Format, pixels, data.Labels.ToArray(), data.Channels, height, width, data.Classes, data.ClassNames)
        {
            ResizedFrom = data.ResizedFrom ?? $"{data.Height}x{data.Width}",
        };
        var augmentPadding = data.Augment || data.AugmentPadding > 0 ? Math.Max(1, height / 8) : (int?)null;
        return resized.WithTransforms(data.Mean, data.Std, data.Augment, augmentPadding, data.AugmentFlip, data.Seed);
    }

    /// <summary>Resizes <paramref name="count"/> samples of C x H x W bytes to C x <paramref name="height"/> x <paramref name="width"/>.</summary>
    public static byte[] Resize(byte[] pixels, int count, int channels, int fromHeight, int fromWidth, int height, int width)
    {
        TorchRuntime.EnsureInitialized();
        long inPer = (long)channels * fromHeight * fromWidth, outPer = (long)channels * height * width;
        if (pixels.LongLength != count * inPer) throw new ArgumentException("pixel count does not match the sample shape", nameof(pixels));
        var result = new byte[count * outPer];
        if (fromHeight == height && fromWidth == width) { Array.Copy(pixels, result, result.LongLength); return result; }
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            using var scope = NewDisposeScope();
            var chunk = new byte[n * inPer];
            Array.Copy(pixels, start * inPer, chunk, 0, chunk.LongLength);
            var x = tensor(chunk, new long[] { n, channels, fromHeight, fromWidth }).to_type(ScalarType.Float32);
            var y = nn.functional.interpolate(x, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
            var bytes = y.round().clamp(0, 255).to_type(ScalarType.Byte).contiguous().data<byte>().ToArray();
            Array.Copy(bytes, 0, result, start * outPer, bytes.LongLength);
        }
        return result;
    }
}
