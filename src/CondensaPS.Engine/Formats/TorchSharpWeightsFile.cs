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
                var type = (ScalarType)Leb128.Read(reader);
                long rank = Leb128.Read(reader);
                if (rank < 0 || rank > 16) throw new InvalidDataException($"entry '{name}' has rank {rank}");
                var shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = Leb128.Read(reader);
                var tensor = empty(shape, type);
                long bytes = tensor.numel() * tensor.element_size();
                var data = reader.ReadBytes(checked((int)bytes));
                if (data.Length != bytes) throw new EndOfStreamException($"entry '{name}' is cut short");
                tensor.bytes = data;
                result[name] = tensor;
            }
            if (reader.BaseStream.Position != reader.BaseStream.Length)
                throw new InvalidDataException("bytes follow the last entry");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException)
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
