using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON (name -> dtype, shape,
/// data_offsets relative to the end of the header; an optional "__metadata__" of string pairs), padded with spaces
/// to a multiple of 8, then the raw little-endian tensor bytes, packed without holes. Reading validates every
/// offset before touching tensor bytes, so a damaged file is refused rather than half-read.
/// </summary>
public static class SafeTensorsFile
{
    private const string MetadataKey = "__metadata__";
    private const ulong MaxHeaderBytes = 100 * 1024 * 1024;
    private const int MaxRank = 16;

    private static readonly (string Code, ScalarType Type, int Size)[] DTypes =
    {
        ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2),
        ("F64", ScalarType.Float64, 8), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    };

    /// <summary>One tensor's entry in the header.</summary>
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>Reads every tensor of the file (on the CPU), by name.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        TorchRuntime.EnsureInitialized();
        var (entries, _, dataStart) = ReadHeader(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(path);
            foreach (var entry in entries)
            {
                var type = DTypes.First(d => d.Code == entry.DType).Type;
                var tensor = empty(entry.Shape, type);
                result[entry.Name] = tensor;
                long length = entry.End - entry.Begin;
                if (length == 0) continue;
                if (length > int.MaxValue)
                    throw new EngineException("TensorTooLarge", EngineErrorKind.NotSupported, $"Tensor '{entry.Name}' in '{path}' is larger than 2 GB, which CondensaPS does not read.", path);
                var bytes = new byte[length];
                stream.Position = dataStart + entry.Begin;
                stream.ReadExactly(bytes);
                tensor.bytes = bytes;
            }
            return result;
        }
        catch (Exception e)
        {
            foreach (var t in result.Values) t.Dispose();
            if (e is EngineException) throw;
            if (e is EndOfStreamException)
                throw new EngineException("TruncatedModelFile", EngineErrorKind.InvalidData, $"'{path}' is cut short: {e.Message}", path, e);
            if (e is IOException or UnauthorizedAccessException) throw ModelFileErrors.NotReadable(path, e);
            throw;
        }
    }

    /// <summary>The "__metadata__" string pairs of the file (empty when it has none).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => ReadHeader(path).Metadata;

    /// <summary>The validated header: tensor entries in file order, metadata, and where the tensor bytes start.</summary>
    public static (IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ReadHeader(string path)
    {
        long fileLength;
        byte[] header;
        try
        {
            using var stream = File.OpenRead(path);
            fileLength = stream.Length;
            if (fileLength < 8) throw Truncated(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length");
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BitConverter.ToUInt64(lengthBytes);
            if (headerLength > MaxHeaderBytes)
                throw Invalid(path, $"its header length ({headerLength} bytes) is implausible");
            if ((long)headerLength + 8 > fileLength)
                throw Truncated(path, $"the header should be {headerLength} bytes, but only {fileLength - 8} follow");
            header = new byte[headerLength];
            stream.ReadExactly(header);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.NotReadable(path, e);
        }
        long dataStart = 8 + header.Length;
        long dataLength = fileLength - dataStart;
        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Utf8.IsValid(header))
            throw Invalid(path, "its header is not UTF-8 text");
        try
        {
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid(path, "its header is not a JSON object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw Invalid(path, "its __metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Invalid(path, $"metadata '{m.Name}' is not a string");
                    continue;
                }
                entries.Add(ParseEntry(path, property));
            }
        }
        catch (JsonException e)
        {
            throw new EngineException("InvalidModelFile", EngineErrorKind.InvalidData, $"'{path}' is not a valid safetensors file: its header is not valid JSON ({e.Message}).", path, e);
        }
        if (entries.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count() != entries.Count)
            throw Invalid(path, "a tensor name appears twice");
        // The tensors must tile the data area exactly: no overlaps, no holes, nothing missing at the end.
        long expected = 0;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin != expected)
                throw Invalid(path, $"tensor '{entry.Name}' starts at byte {entry.Begin} of the data, expected {expected} (overlapping or gapped offsets)");
            expected = entry.End;
        }
        if (expected > dataLength)
            throw Truncated(path, $"its tensors need {expected} bytes of data, but only {dataLength} are there");
        if (expected < dataLength)
            throw Invalid(path, $"{dataLength - expected} bytes follow the last tensor");
        return (entries, metadata, dataStart);
    }

    private static Entry ParseEntry(string path, JsonProperty property)
    {
        var name = property.Name;
        var v = property.Value;
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Invalid(path, $"the entry for '{name}' lacks dtype, shape or data_offsets");
        var dtype = dtypeElement.GetString()!;
        var known = DTypes.FirstOrDefault(d => d.Code == dtype);
        if (known.Code is null)
            throw new EngineException("UnsupportedTensorType", EngineErrorKind.NotSupported,
                $"Tensor '{name}' in '{path}' has dtype {dtype}; CondensaPS reads {string.Join(", ", DTypes.Select(d => d.Code))}.", path);
        if (shapeElement.GetArrayLength() > MaxRank)
            throw Invalid(path, $"the shape of '{name}' has {shapeElement.GetArrayLength()} dimensions; a tensor has at most {MaxRank}");
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        long numel = 1, extent = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw Invalid(path, $"the shape of '{name}' is not a list of non-negative integers");
            shape[i++] = dim;
            // Every dimension counts, even beside a zero one: libtorch computes strides from all of them.
            if (dim > 1 && extent > long.MaxValue / dim)
                throw Invalid(path, $"the shape of '{name}' [{string.Join("x", shapeElement.EnumerateArray())}] has more elements than a tensor can hold");
            extent *= Math.Max(dim, 1);
            numel *= dim;
        }
        if (numel > long.MaxValue / known.Size)
            throw Invalid(path, $"'{name}' is {dtype} [{string.Join("x", shape)}], more bytes than a file can hold");
        var offsets = offsetsElement.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out var x) && x >= 0 ? x : -1).ToArray();
        if (offsets[0] < 0 || offsets[1] < offsets[0])
            throw Invalid(path, $"the data_offsets of '{name}' are not an increasing pair of non-negative integers");
        if (offsets[1] - offsets[0] != numel * known.Size)
            throw Invalid(path, $"'{name}' is {dtype} [{string.Join("x", shape)}] = {numel * known.Size} bytes, but its data_offsets span {offsets[1] - offsets[0]}");
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>
    /// Writes tensors (any device, any layout) to <paramref name="path"/>, header first, in the given order. Names
    /// and dtypes are checked before the file is created; a failure while writing removes the partial file.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var (header, list) = Prepare(tensors, metadata);
        try
        {
            using var file = File.Create(path);
            WriteBody(file, header, list, CancellationToken.None);
        }
        catch
        {
            try { File.Delete(path); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Writes the tensors to <paramref name="stream"/> (left open), checking for cancellation between tensors.</summary>
    public static void Write(Stream stream, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellation = default)
    {
        var (header, list) = Prepare(tensors, metadata);
        WriteBody(stream, header, list, cancellation);
    }

    private static void WriteBody(Stream file, MemoryStream header, List<(string Name, Tensor Tensor)> list, CancellationToken cancellation)
    {
        file.Write(BitConverter.GetBytes((ulong)header.Length));
        header.Position = 0;
        header.CopyTo(file);
        foreach (var (_, tensor) in list)
        {
            cancellation.ThrowIfCancellationRequested();
            if (tensor.numel() == 0) continue;
            using var scope = NewDisposeScope();
            file.Write(tensor.detach().cpu().contiguous().bytes);
        }
    }

    /// <summary>Checks names and dtypes and builds the padded JSON header, before anything is written.</summary>
    private static (MemoryStream Header, List<(string Name, Tensor Tensor)> List) Prepare(IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        TorchRuntime.EnsureInitialized();
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var codes = new string[list.Count];
        for (int i = 0; i < list.Count; i++)
        {
            var (name, tensor) = list[i];
            if (string.IsNullOrEmpty(name) || name == MetadataKey || !seen.Add(name))
                throw new EngineException("InvalidTensorName", EngineErrorKind.InvalidArgument, $"'{name}' cannot name a tensor in a safetensors file (empty, reserved or repeated).", name);
            var known = DTypes.FirstOrDefault(d => d.Type == tensor.dtype);
            codes[i] = known.Code ?? throw new EngineException("UnsupportedTensorType", EngineErrorKind.NotSupported,
                $"Tensor '{name}' is {tensor.dtype}; safetensors files written by CondensaPS hold {string.Join(", ", DTypes.Select(d => d.Code))}.", name);
            if (tensor.is_sparse)
                throw new EngineException("UnsupportedTensorType", EngineErrorKind.NotSupported, $"Tensor '{name}' is sparse; make it dense before writing it to safetensors.", name);
        }

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) writer.WriteString(k, v);
                writer.WriteEndObject();
            }
            long offset = 0;
            for (int i = 0; i < list.Count; i++)
            {
                var (name, tensor) = list[i];
                long bytes = tensor.numel() * tensor.element_size();
                writer.WriteStartObject(name);
                writer.WriteString("dtype", codes[i]);
                writer.WriteStartArray("shape");
                foreach (var d in tensor.shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            writer.WriteEndObject();
        }
        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++) json.WriteByte((byte)' ');

        return (json, list);
    }

    private static EngineException Invalid(string path, string why) =>
        new("InvalidModelFile", EngineErrorKind.InvalidData, $"'{path}' is not a valid safetensors file: {why}.", path);

    private static EngineException Truncated(string path, string why) =>
        new("TruncatedModelFile", EngineErrorKind.InvalidData, $"'{path}' is a truncated safetensors file: {why}.", path);
}
