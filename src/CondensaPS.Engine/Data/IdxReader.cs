using System.Buffers.Binary;
using System.IO.Compression;

namespace CondensaPS.Engine.Data;

/// <summary>
/// Reads MNIST's IDX files (plain or gzip-compressed): images with magic 0x00000803 (count, rows, columns, then
/// bytes) and labels with magic 0x00000801 (count, then bytes). Wrong magic numbers, truncated files and image/label
/// count mismatches are <see cref="EngineErrorKind.InvalidData"/> errors naming the file.
/// </summary>
public static class IdxReader
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    public static Dataset Read(string imagePath, string labelPath, string? name = null)
    {
        var images = ReadAll(imagePath);
        var labelBytes = ReadAll(labelPath);
        int count = Header(images, imagePath, ImageMagic, 16, out var dims);
        int rows = dims[1], cols = dims[2];
        long needed = 16 + (long)count * rows * cols;
        if (images.LongLength < needed)
            throw Truncated(imagePath, needed, images.LongLength);
        if (images.LongLength > needed)
            throw TrailingBytes(imagePath, needed, images.LongLength);
        int labelCount = Header(labelBytes, labelPath, LabelMagic, 8, out _);
        if (labelBytes.LongLength < 8 + (long)labelCount)
            throw Truncated(labelPath, 8 + (long)labelCount, labelBytes.LongLength);
        if (labelBytes.LongLength > 8 + (long)labelCount)
            throw TrailingBytes(labelPath, 8 + (long)labelCount, labelBytes.LongLength);
        if (labelCount != count)
            throw new EngineException("DatasetCountMismatch", EngineErrorKind.InvalidData,
                $"'{imagePath}' holds {count:N0} images but '{labelPath}' holds {labelCount:N0} labels.", labelPath);
        var pixels = new byte[(long)count * rows * cols];
        Array.Copy(images, 16, pixels, 0, pixels.LongLength);
        var labels = new long[count];
        int maxLabel = 0;
        for (int i = 0; i < count; i++) { labels[i] = labelBytes[8 + i]; maxLabel = Math.Max(maxLabel, labelBytes[8 + i]); }
        int classes = Math.Max(10, maxLabel + 1);
        return new Dataset(name ?? DataName(imagePath), imagePath, "Idx", pixels, labels, 1, rows, cols, classes);
    }

    private static int Header(byte[] data, string path, int magic, int headerBytes, out int[] dims)
    {
        dims = Array.Empty<int>();
        if (data.Length < 4)
            throw Truncated(path, headerBytes, data.Length);
        int found = BinaryPrimitives.ReadInt32BigEndian(data);
        if (found != magic)
            throw new EngineException("DatasetBadMagic", EngineErrorKind.InvalidData,
                $"'{path}' is not an IDX {(magic == ImageMagic ? "image" : "label")} file: magic 0x{found:X8}, expected 0x{magic:X8}.", path);
        if (data.Length < headerBytes)
            throw Truncated(path, headerBytes, data.Length);
        int ndims = magic & 0xFF;
        dims = new int[ndims];
        for (int i = 0; i < ndims; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * i));
            if (dims[i] < 0 || (i > 0 && dims[i] == 0))
                throw new EngineException("DatasetBadHeader", EngineErrorKind.InvalidData, $"'{path}' has an invalid dimension {dims[i]} in its header.", path);
        }
        return dims[0];
    }

    /// <summary>An IDX file is exactly its header's size: more bytes mean a header that lies about its dimensions.</summary>
    private static EngineException TrailingBytes(string path, long needed, long found) =>
        new("DatasetBadHeader", EngineErrorKind.InvalidData, $"'{path}' has {found:N0} bytes where its header's dimensions make {needed:N0}: the header and the data disagree.", path);

    private static EngineException Truncated(string path, long needed, long found) =>
        new("DatasetTruncated", EngineErrorKind.InvalidData, $"'{path}' is truncated: {found:N0} bytes, its header needs {needed:N0}.", path);

    /// <summary>
    /// The file's bytes, gunzipped when it starts with the gzip magic. Files (or their gzip content) larger than a
    /// .NET array holds (2 GB) are refused rather than read until memory runs out.
    /// </summary>
    internal static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new EngineException("DatasetFileNotFound", EngineErrorKind.ObjectNotFound, $"Data file '{path}' does not exist.", path);
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[2];
            int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && head[0] == 0x1F && head[1] == 0x8B)
            {
                using var gz = new GZipStream(file, CompressionMode.Decompress);
                using var ms = new MemoryStream();
                var buffer = new byte[1 << 16];
                int read;
                while ((read = gz.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (ms.Length + read > Array.MaxLength) throw TooLarge(path, "its gzip content");
                    ms.Write(buffer, 0, read);
                }
                return ms.ToArray();
            }
            if (file.Length > Array.MaxLength) throw TooLarge(path, $"its {file.Length:N0} bytes");
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (InvalidDataException e)
        {
            throw new EngineException("DatasetTruncated", EngineErrorKind.InvalidData, $"'{path}' is a damaged or truncated gzip file: {e.Message}", path, e);
        }
        catch (EndOfStreamException e)
        {
            throw new EngineException("DatasetTruncated", EngineErrorKind.InvalidData, $"'{path}' ended while it was read: {e.Message}", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException("DatasetNotReadable", EngineErrorKind.ReadError, $"Cannot read '{path}': {e.Message}", path, e);
        }
    }

    private static EngineException TooLarge(string path, string what) =>
        new("DatasetTooLarge", EngineErrorKind.NotSupported, $"'{path}' is too large: {what} exceed the 2 GB a data file may have.", path);

    /// <summary>"train-images-idx3-ubyte.gz" -> "train".</summary>
    internal static string DataName(string path)
    {
        var file = Path.GetFileName(path);
        int dash = file.IndexOf('-');
        return dash > 0 ? file[..dash] : Path.GetFileNameWithoutExtension(file);
    }

    /// <summary>The label file beside an image file (train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz), or null.</summary>
    public static string? LabelPathFor(string imagePath)
    {
        var dir = Path.GetDirectoryName(imagePath) ?? ".";
        var file = Path.GetFileName(imagePath);
        if (!file.Contains("images-idx3", StringComparison.Ordinal)) return null;
        var candidate = Path.Combine(dir, file.Replace("images-idx3", "labels-idx1", StringComparison.Ordinal));
        return File.Exists(candidate) ? candidate : null;
    }
}
