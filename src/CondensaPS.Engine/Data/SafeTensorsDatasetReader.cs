using CondensaPS.Engine.Formats;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Data;

/// <summary>
/// A data set stored as two tensors in a safetensors file: "images", uint8 [N, C, H, W] or [N, H, W] (one channel),
/// or float32 in [0, 1], which is scaled to bytes as floor(255 x value + 0.5) (rounding halves up; see
/// <see cref="ToBytes"/>); and "labels", int64, int32 or uint8 [N] class indices. Class names come from the
/// "__metadata__" entry "classes" (comma-separated, trimmed) when present; otherwise the classes are 0..max label.
/// </summary>
public static class SafeTensorsDatasetReader
{
    public const string ImagesName = "images";
    public const string LabelsName = "labels";

    /// <summary>A plausible safetensors header: an 8-byte length under 100 MB followed by '{'.</summary>
    public static bool LooksLikeSafeTensors(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return true;
        if (!File.Exists(path)) return false;
        var head = new byte[9];
        using var fs = File.OpenRead(path);
        if (fs.Read(head, 0, 9) < 9) return false;
        ulong length = BitConverter.ToUInt64(head, 0);
        return length > 1 && length < 100 * 1024 * 1024 && head[8] == (byte)'{';
    }

    public static Dataset Read(string path, string? name = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new EngineException("DatasetFileNotFound", EngineErrorKind.ObjectNotFound, $"Data set file '{full}' does not exist.", full);
        TorchRuntime.EnsureInitialized();
        var tensors = SafeTensorsFile.Read(full);
        try
        {
            using var scope = NewDisposeScope();
            var images = Find(tensors, ImagesName, full);
            var labelTensor = Find(tensors, LabelsName, full);
            if (images.dtype is not (ScalarType.Byte or ScalarType.Float32))
                throw new EngineException("DatasetBadDType", EngineErrorKind.InvalidData,
                    $"'images' in '{full}' is {images.dtype}; uint8 pixels or float32 values in [0, 1] are needed.", full);
            if (labelTensor.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Byte))
                throw new EngineException("DatasetBadDType", EngineErrorKind.InvalidData,
                    $"'labels' in '{full}' is {labelTensor.dtype}; int64, int32 or uint8 class indices are needed.", full);
            if (images.dim() is not (3 or 4))
                throw new EngineException("DatasetBadShape", EngineErrorKind.InvalidData,
                    $"'images' in '{full}' has shape [{string.Join(", ", images.shape)}]; [N, C, H, W] or [N, H, W] is needed.", full);
            if (labelTensor.dim() != 1)
                throw new EngineException("DatasetBadShape", EngineErrorKind.InvalidData,
                    $"'labels' in '{full}' has shape [{string.Join(", ", labelTensor.shape)}]; [N] is needed.", full);
            long n = images.shape[0];
            if (labelTensor.shape[0] != n)
                throw new EngineException("DatasetCountMismatch", EngineErrorKind.InvalidData,
                    $"'{full}' holds {n:N0} images but {labelTensor.shape[0]:N0} labels.", full);
            if (n == 0)
                throw new EngineException("DatasetEmpty", EngineErrorKind.InvalidData, $"'{full}' holds no samples (its tensors have N = 0).", full);
            if (images.dim() == 3) images = images.unsqueeze(1);
            int c = (int)images.shape[1], h = (int)images.shape[2], w = (int)images.shape[3];
            if (c < 1 || h < 1 || w < 1)
                throw new EngineException("DatasetBadShape", EngineErrorKind.InvalidData,
                    $"'images' in '{full}' has an empty sample shape {c}x{h}x{w}.", full);
            var pixels = ToBytes(images.contiguous(), full);
            var labels = labelTensor.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();

            var metadata = SafeTensorsFile.ReadMetadata(full);
            List<string>? names = metadata.TryGetValue("classes", out var list)
                ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()
                : null;
            long max = labels.Max(), min = labels.Min();
            if (min < 0)
                throw new EngineException("DatasetBadLabel", EngineErrorKind.InvalidData, $"'labels' in '{full}' holds {min}; class indices start at 0.", full);
            if (names is { Count: > 0 } && max >= names.Count)
                throw new EngineException("DatasetBadLabel", EngineErrorKind.InvalidData,
                    $"'labels' in '{full}' holds {max} but the metadata names {names.Count} classes ({string.Join(",", names)}).", full);
            int classes = names is { Count: > 0 } ? names.Count : (int)max + 1;
            return new Dataset(name ?? Path.GetFileNameWithoutExtension(full), full, "SafeTensors", pixels, labels, c, h, w, classes,
                names is { Count: > 0 } ? names : null);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// uint8 as is; float32 must lie in [0, 1] (NaN refused) and becomes floor(255 x value + 0.5), i.e. rounded with
    /// halves up, so 0 -> 0, 1 -> 255 and v/255 -> v exactly.
    /// </summary>
    private static byte[] ToBytes(Tensor images, string full)
    {
        if (images.dtype == ScalarType.Byte) return images.data<byte>().ToArray();
        var lo = images.min().item<float>();
        var hi = images.max().item<float>();
        if (images.isnan().any().item<bool>() || lo < 0 || hi > 1)
            throw new EngineException("DatasetBadPixelRange", EngineErrorKind.InvalidData,
                $"float32 'images' in '{full}' range over [{lo}, {hi}] (or hold NaN); float images must lie in [0, 1].", full);
        return (images * 255f + 0.5f).floor().clamp(0, 255).to_type(ScalarType.Byte).data<byte>().ToArray();
    }

    private static Tensor Find(Dictionary<string, Tensor> tensors, string name, string path)
    {
        if (tensors.TryGetValue(name, out var t)) return t;
        throw new EngineException("DatasetTensorMissing", EngineErrorKind.InvalidData,
            $"'{path}' has no '{name}' tensor; a safetensors data set holds 'images' and 'labels' (this file holds: {(tensors.Count == 0 ? "nothing" : string.Join(", ", tensors.Keys))}).", path);
    }
}
