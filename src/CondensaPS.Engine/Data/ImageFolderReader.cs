using SkiaSharp;

namespace CondensaPS.Engine.Data;

/// <summary>
/// A folder with one subfolder per class (class names are the subfolder names in ordinal order, classes 0, 1, ...),
/// each holding PNG or JPEG images (.png, .jpg, .jpeg; other files and dot-folders are ignored) decoded with
/// SkiaSharp. Samples have 1 channel (grey) or 3 (RGB): as asked, else as the first image is (grey-scale PNG/JPEG
/// -> 1, anything else -> 3). Colour images read as grey take the luma 0.299 R + 0.587 G + 0.114 B, rounded; grey
/// images read as RGB repeat the grey value; alpha is dropped (pixels are not composited). Without a resize every
/// image must have the first image's size; with one, each image is resized (bilinear, see <see cref="ImageResizer"/>).
/// </summary>
public static class ImageFolderReader
{
    /// <summary>64 megapixels: a header may claim up to 65535x65535 (17 GB decoded); nothing a network trains on is near this.</summary>
    public const long MaxPixels = 64L * 1024 * 1024;

    private static readonly string[] Extensions = { ".png", ".jpg", ".jpeg" };

    public static Dataset Read(string path, int? channels = null, (int Height, int Width)? resize = null, string? name = null)
    {
        var folder = Path.GetFullPath(path);
        if (!Directory.Exists(folder))
            throw new EngineException("DatasetFileNotFound", EngineErrorKind.ObjectNotFound, $"Folder '{folder}' does not exist.", folder);
        if (channels is not (null or 1 or 3))
            throw new EngineException("DatasetBadChannels", EngineErrorKind.InvalidArgument, $"Images are read with 1 channel (grey) or 3 (RGB); got {channels}.", channels);
        var classDirs = Directory.GetDirectories(folder)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (classDirs.Count == 0)
            throw new EngineException("DatasetNoClasses", EngineErrorKind.InvalidData,
                $"Folder '{folder}' has no class subfolders; an image-folder data set holds one subfolder of images per class.", folder);
        var files = classDirs.Select(d => Directory.GetFiles(d)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToList()).ToList();
        int total = files.Sum(f => f.Count);
        if (total == 0)
            throw new EngineException("DatasetEmpty", EngineErrorKind.InvalidData,
                $"Folder '{folder}' has class subfolders ({string.Join(", ", classDirs.Select(Path.GetFileName))}) but no PNG or JPEG images in them.", folder);

        int c = 0, h = 0, w = 0, per = 0;
        byte[]? pixels = null;
        var labels = new long[total];
        var resizedFrom = new HashSet<(int, int)>();
        int i = 0;
        for (int label = 0; label < classDirs.Count; label++)
        {
            foreach (var file in files[label])
            {
                var (rgba, width, height, grey) = Decode(file);
                if (pixels is null)
                {
                    c = channels ?? (grey ? 1 : 3);
                    (h, w) = resize ?? (height, width);
                    long bytes = (long)total * c * h * w;
                    if (bytes > Array.MaxLength)
                        throw new EngineException("DatasetTooLarge", EngineErrorKind.NotSupported,
                            $"'{folder}' holds {total:N0} images of {c}x{h}x{w}: {bytes:N0} bytes, over the 2 GB a data set may have in memory.", folder);
                    per = c * h * w;
                    pixels = new byte[bytes];
                }
                var sample = ToPlanes(rgba, width, height, c, grey);
                if (height != h || width != w)
                {
                    if (resize is null)
                        throw new EngineException("DatasetImageSizeMismatch", EngineErrorKind.InvalidData,
                            $"'{file}' is {height}x{width} but the first image of '{folder}' is {h}x{w} (height x width); give -Resize to bring all images to one size.", file);
                    sample = ImageResizer.Resize(sample, 1, c, height, width, h, w);
                    resizedFrom.Add((height, width));
                }
                Array.Copy(sample, 0, pixels, (long)i * per, per);
                labels[i++] = label;
            }
        }
        var data = new Dataset(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), folder, "ImageFolder", pixels!, labels, c, h, w,
            classDirs.Count, classDirs.Select(d => Path.GetFileName(d)).ToList())
        {
            ResizedFrom = resizedFrom.Count switch
            {
                0 => null,
                1 => $"{resizedFrom.First().Item1}x{resizedFrom.First().Item2}",
                _ => "mixed sizes",
            },
        };
        return data;
    }

    /// <summary>Decodes one file to unpremultiplied RGBA bytes; grey tells whether the file is grey-scale.</summary>
    private static (byte[] Rgba, int Width, int Height, bool Grey) Decode(string file)
    {
        SkiaNative.EnsureLoaded();
        using var codec = SKCodec.Create(file)
            ?? throw new EngineException("DatasetBadImage", EngineErrorKind.InvalidData, $"'{file}' could not be decoded as a PNG or JPEG image.", file);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0)
            throw new EngineException("DatasetBadImage", EngineErrorKind.InvalidData, $"'{file}' has no pixels ({info.Width}x{info.Height}).", file);
        if ((long)info.Width * info.Height > MaxPixels)
            throw new EngineException("DatasetImageTooLarge", EngineErrorKind.NotSupported,
                $"'{file}' says it is {info.Width}x{info.Height} pixels, over the {MaxPixels:N0} CondensaPS decodes per image.", file);
        var bytes = new byte[info.BytesSize];
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
        SKCodecResult result;
        try { result = codec.GetPixels(info, handle.AddrOfPinnedObject()); }
        finally { handle.Free(); }
        if (result != SKCodecResult.Success)
            throw new EngineException("DatasetBadImage", EngineErrorKind.InvalidData, $"'{file}' could not be decoded as a PNG or JPEG image ({result}).", file);
        return (bytes, info.Width, info.Height, codec.Info.ColorType == SKColorType.Gray8);
    }

    /// <summary>RGBA rows to C planes (1: grey or luma; 3: red, green, blue).</summary>
    private static byte[] ToPlanes(byte[] rgba, int width, int height, int channels, bool grey)
    {
        int plane = width * height;
        var result = new byte[channels * plane];
        for (int p = 0; p < plane; p++)
        {
            byte r = rgba[4 * p], g = rgba[4 * p + 1], b = rgba[4 * p + 2];
            if (channels == 3) { result[p] = r; result[plane + p] = g; result[2 * plane + p] = b; }
            else result[p] = grey ? r : (byte)Math.Clamp((int)Math.Round(0.299 * r + 0.587 * g + 0.114 * b, MidpointRounding.AwayFromZero), 0, 255);
        }
        return result;
    }
}
