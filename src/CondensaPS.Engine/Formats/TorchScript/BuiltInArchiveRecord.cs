using System.IO.Compression;
using System.Text.Json;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// What a TorchScript export of a built-in model carries beside the TorchScript, as the extra file
/// <c>extra/condensaps.json</c> (torch.jit.save's _extra_files; a plain torch.jit.load ignores it), so that
/// Import-Model gives back the same built-in model: name, architecture settings with per-layer widths, which
/// parameters have pruning masks, quantization records (storage type, int8 scales and axis) and the history. A mask
/// is the parameter's non-zeros, plus the kept weights that happen to be zero (listed by flat index, usually none).
/// </summary>
/// <param name="Masks">Masked parameters and the flat indices of their kept weights that are zero.</param>
/// <param name="Quantization">Quantized tensors: storage type, axis, and int8 scales with their shape.</param>
internal sealed record BuiltInArchiveRecord(string Name, ArchitectureSpec Spec, IReadOnlyDictionary<string, long[]> Masks,
    IReadOnlyDictionary<string, (StorageType Type, int Axis, float[]? Scale, long[] ScaleShape)> Quantization, List<HistoryStep> History)
{
    public const string FileName = "condensaps.json";
    private const string Kind = "condensaps-built-in";

    public static byte[] Write(CompressionModel model)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WriteNumber("version", 1);
            w.WriteString("name", model.Name);
            w.WritePropertyName("architecture");
            w.WriteRawValue(ArchitectureSpecJson.Write(model.Spec!));
            w.WriteStartObject("masks");
            using (var scope = NewDisposeScope())
                foreach (var (name, tensor) in model.NamedParameters())
                {
                    if (!model.Masks.TryGetValue(name, out var mask)) continue;
                    w.WriteStartArray(name);
                    var keptZeros = mask.ne(0).logical_and(tensor.eq(0)).flatten().nonzero().flatten().cpu();
                    foreach (var index in keptZeros.data<long>()) w.WriteNumberValue(index);
                    w.WriteEndArray();
                }
            w.WriteEndObject();
            w.WriteStartObject("quantization");
            foreach (var (name, state) in model.Quantization)
            {
                w.WriteStartObject(name);
                w.WriteString("type", state.Type.ToDisplayName());
                w.WriteNumber("axis", state.Axis);
                if (state.Scale is { } scale)
                {
                    w.WriteStartArray("scale-shape");
                    foreach (var d in scale.shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteStartArray("scale");
                    using var cpu = scale.detach().to(ScalarType.Float32).cpu().contiguous();
                    foreach (var v in cpu.data<float>()) w.WriteNumberValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WritePropertyName("history");
            w.WriteRawValue(CompactHistoryJson.Write(model.History));
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>The record in a TorchScript archive, or null when the archive has none (any archive not ours).</summary>
    public static BuiltInArchiveRecord? Read(string path)
    {
        byte[] json;
        using (var zip = ZipFile.OpenRead(path))
        {
            var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/extra/" + FileName, StringComparison.Ordinal));
            if (entry is null) return null;
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            json = copy.ToArray();
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.GetProperty("kind").GetString() != Kind) return null;
            var masks = root.GetProperty("masks").EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(i => i.GetInt64()).ToArray(), StringComparer.Ordinal);
            var quantization = new Dictionary<string, (StorageType, int, float[]?, long[])>(StringComparer.Ordinal);
            foreach (var q in root.GetProperty("quantization").EnumerateObject())
            {
                var type = Enum.GetValues<StorageType>().First(t => t.ToDisplayName() == q.Value.GetProperty("type").GetString());
                bool scaled = q.Value.TryGetProperty("scale", out var scale);
                quantization[q.Name] = (type, q.Value.GetProperty("axis").GetInt32(),
                    scaled ? scale.EnumerateArray().Select(v => v.GetSingle()).ToArray() : null,
                    scaled ? q.Value.GetProperty("scale-shape").EnumerateArray().Select(v => v.GetInt64()).ToArray() : Array.Empty<long>());
            }
            return new BuiltInArchiveRecord(
                root.GetProperty("name").GetString() ?? "",
                ArchitectureSpecJson.Read(root.GetProperty("architecture")),
                masks,
                quantization,
                CompactHistoryJson.Read(System.Text.Encoding.UTF8.GetBytes(root.GetProperty("history").GetRawText())));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
                                  or InvalidCastException or OverflowException or InvalidDataException or EngineException)
        {
            throw new EngineException("InvalidModelFile", EngineErrorKind.InvalidData,
                $"'{path}' holds a CondensaPS record ({FileName}) that cannot be read: {e.Message}", path, e);
        }
    }

    /// <summary>Puts the masks and quantization records on <paramref name="model"/>, whose weights came from the archive.</summary>
    public void Restore(CompressionModel model)
    {
        var parameters = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal);
        foreach (var (name, keptZeros) in Masks)
        {
            var weight = parameters.TryGetValue(name, out var t) ? t : throw Unknown(name);
            Tensor mask;
            using (var nonZero = weight.ne(0)) mask = nonZero.to(weight.dtype);
            if (keptZeros.Length > 0)
                using (var indices = tensor(keptZeros, device: weight.device))
                    mask.view(-1).index_fill_(0, indices, 1);
            model.Masks[name] = mask;
        }
        foreach (var (name, (type, axis, scale, shape)) in Quantization)
        {
            if (!parameters.ContainsKey(name)) throw Unknown(name);
            var scales = scale is null ? null : tensor(scale, device: model.TorchDevice).reshape(shape);
            model.Quantization[name] = new QuantizationState(type, scales, axis);
        }
    }

    private EngineException Unknown(string name) => new("InvalidModelFile", EngineErrorKind.InvalidData,
        $"The CondensaPS record names '{name}', which {Spec} does not have.", name);
}
