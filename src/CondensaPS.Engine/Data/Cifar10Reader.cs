namespace CondensaPS.Engine.Data;

/// <summary>
/// Reads CIFAR-10 binary batches (data_batch_*.bin, test_batch.bin): records of one label byte then 3x32x32 pixel
/// bytes (red, green, blue planes). Several batch files are concatenated. A file whose length is not a whole number
/// of records, or a label above 9, is an <see cref="EngineErrorKind.InvalidData"/> error.
/// </summary>
public static class Cifar10Reader
{
    public const int Side = 32;
    public const int RecordBytes = 1 + 3 * Side * Side;
    public static readonly IReadOnlyList<string> ClassNames = new[] { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    public static Dataset Read(IReadOnlyList<string> paths, string? name = null)
    {
        if (paths.Count == 0) throw new EngineException("DatasetFileNotFound", EngineErrorKind.ObjectNotFound, "No CIFAR-10 batch file given.");
        var files = paths.Select(p => (Path: p, Bytes: IdxReader.ReadAll(p))).ToList();
        long records = 0;
        foreach (var (path, bytes) in files)
        {
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new EngineException("DatasetTruncated", EngineErrorKind.InvalidData,
                    $"'{path}' is not a CIFAR-10 binary batch: {bytes.Length:N0} bytes is not a whole number of {RecordBytes:N0}-byte records.", path);
            records += bytes.Length / RecordBytes;
        }
        const int per = RecordBytes - 1;
        var pixels = new byte[records * per];
        var labels = new long[records];
        long r = 0;
        foreach (var (path, bytes) in files)
        {
            for (int offset = 0; offset < bytes.Length; offset += RecordBytes, r++)
            {
                byte label = bytes[offset];
                if (label > 9)
                    throw new EngineException("DatasetBadLabel", EngineErrorKind.InvalidData,
                        $"'{path}' record {offset / RecordBytes} has label {label}; CIFAR-10 labels are 0..9.", path);
                labels[r] = label;
                Array.Copy(bytes, offset + 1, pixels, r * per, per);
            }
        }
        var ds = new Dataset(name ?? Path.GetFileNameWithoutExtension(paths[0]), string.Join(";", paths), "Cifar10", pixels, labels, 3, Side, Side, 10, ClassNames);
        return ds.WithTransforms(null, null, false, padding: 4, flip: true);
    }
}
