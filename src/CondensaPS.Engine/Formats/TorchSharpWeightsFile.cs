using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// TorchSharp's own weight format (what Module.save writes): a LEB128 count, then per entry a length-prefixed UTF-8
/// name, a LEB128 scalar type, a LEB128 rank, LEB128 dimensions and the raw little-endian element bytes.
/// </summary>
public static class TorchSharpWeightsFile
{
    /// <summary>The element types TorchSharp writes, by their ScalarType code, with their sizes in bytes.</summary>
    private static readonly Dictionary<long, int> ElementSizes = new()
    {
        [(long)ScalarType.Byte] = 1, [(long)ScalarType.Int8] = 1, [(long)ScalarType.Int16] = 2, [(long)ScalarType.Int32] = 4,
        [(long)ScalarType.Int64] = 8, [(long)ScalarType.Float16] = 2, [(long)ScalarType.Float32] = 4, [(long)ScalarType.Float64] = 8,
        [(long)ScalarType.Bool] = 1, [(long)ScalarType.BFloat16] = 2, [(long)ScalarType.ComplexFloat32] = 8, [(long)ScalarType.ComplexFloat64] = 16,
    };

    public static Dictionary<string, Tensor> Read(string path)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            long count = Leb128.Read(reader);
            for (long i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                long code = Leb128.Read(reader);
                if (!ElementSizes.TryGetValue(code, out int elementSize))
                    throw new InvalidDataException($"entry '{name}' has element type {code}, which is not one TorchSharp writes");
                var type = (ScalarType)code;
                long rank = Leb128.Read(reader);
                if (rank < 0 || rank > 16) throw new InvalidDataException($"entry '{name}' has rank {rank}");
                var shape = new long[rank];
                long numel = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = Leb128.Read(reader);
                    if (shape[d] < 0) throw new InvalidDataException($"entry '{name}' has a negative dimension {shape[d]}");
                    numel = checked(numel * Math.Max(shape[d], 1));
                }
                if (shape.Contains(0)) numel = 0;
                long bytes = checked(numel * elementSize);
                long left = reader.BaseStream.Length - reader.BaseStream.Position;
                if (bytes > left) throw new EndOfStreamException($"entry '{name}' needs {bytes:N0} bytes, {left:N0} are left");
                if (bytes > Array.MaxLength) throw new InvalidDataException($"entry '{name}' is larger than 2 GB");
                var tensor = empty(shape, type);
                var data = reader.ReadBytes((int)bytes);
                if (data.Length != bytes) throw new EndOfStreamException($"entry '{name}' is cut short");
                tensor.bytes = data;
                result[name] = tensor;
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException("bytes follow the last entry");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException or FormatException)
        {
            foreach (var t in result.Values) t.Dispose();
            var message = $"'{path}' is not a valid TorchSharp weights file: {e.Message}";
            throw e is EndOfStreamException
                ? new EngineException("TruncatedModelFile", EngineErrorKind.InvalidData, message, path, e)
                : new EngineException("InvalidModelFile", EngineErrorKind.InvalidData, message, path, e);
        }
    }

    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> entries)
    {
        using var file = File.Create(path);
        Write(file, entries);
    }

    /// <summary>Writes the entries to <paramref name="stream"/> (left open), checking for cancellation between tensors.</summary>
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> entries, CancellationToken cancellation = default)
    {
        var list = entries.ToList();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        Leb128.Write(writer, list.Count);
        foreach (var (name, tensor) in list)
        {
            cancellation.ThrowIfCancellationRequested();
            writer.Write(name);
            Leb128.Write(writer, (long)tensor.dtype);
            Leb128.Write(writer, tensor.shape.Length);
            foreach (var d in tensor.shape) Leb128.Write(writer, d);
            using var cpuTensor = tensor.detach().cpu().contiguous();
            writer.Write(cpuTensor.bytes);
        }
    }
}
