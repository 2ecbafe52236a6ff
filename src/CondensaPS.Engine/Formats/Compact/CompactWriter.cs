using System.Text.Json;
using CondensaPS.Engine.Models;
using TorchSharp;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>What encoding a model produced: the file's bytes, how each tensor was stored, and what each section costs.</summary>
public sealed record CompactEncoding(byte[] File, IReadOnlyList<CompactTensorInfo> Tensors, long ArchitectureBytes, long HistoryBytes)
{
    /// <summary>Bytes of the META section's body.</summary>
    public long MetadataBytes { get; init; }
    /// <summary>Bytes of the TENS section's body.</summary>
    public long TensorBytes { get; init; }
    /// <summary>The file header and the section headers.</summary>
    public long FramingBytes { get; init; }
}

/// <summary>What to leave out of a compact file.</summary>
public sealed record CompactWriteOptions
{
    public static CompactWriteOptions Default { get; } = new();

    /// <summary>Writes no HIST section: the model reads back with an empty history (for the smallest file).</summary>
    public bool ExcludeHistory { get; init; }
}

/// <summary>
/// Encodes a model in the compact format (version 2): META (JSON), ARCH (built-in architecture settings, JSON) or TSAR
/// (the TorchScript archive's code and structure), TENS (tensor records: values at storage precision, sparse where
/// smaller, masks and quantization records, every stream entropy-coded), HIST (history JSON, unless excluded). The
/// JSON sections are byte streams with the smallest codec. The model is not changed.
/// </summary>
public static class CompactWriter
{
    public const string WriterName = "CondensaPS";

    public static CompactEncoding Encode(CompressionModel model, CompactWriteOptions? options = null)
    {
        options ??= CompactWriteOptions.Default;
        TorchRuntime.EnsureInitialized();
        var sections = new List<CompactSection>();
        sections.Add(new CompactSection(CompactFormat.MetadataSection, Text(Metadata(model))));
        var architecture = model.IsTorchScript
            ? new CompactSection(CompactFormat.TorchScriptSection, CompactTorchScript.Encode((torch.jit.ScriptModule)model.Module))
            : new CompactSection(CompactFormat.ArchitectureSection, Text(ArchitectureSpecJson.Write(model.Spec!)));
        sections.Add(architecture);

        var infos = new List<CompactTensorInfo>();
        using (var stream = new MemoryStream())
        using (var writer = new BinaryWriter(stream))
        {
            var parameters = model.NamedParameters().ToList();
            var buffers = model.NamedBuffers().ToList();
            Leb128.Write(writer, parameters.Count + buffers.Count);
            // Quantize also records floating buffers (batch-norm statistics), so buffers carry records too.
            foreach (var (name, tensor, isBuffer) in parameters.Select(p => (p.Name, p.Tensor, false)).Concat(buffers.Select(b => (b.Name, b.Tensor, true))))
                infos.Add(CompactTensorCodec.Write(writer, name, isBuffer, tensor,
                    model.Masks.TryGetValue(name, out var mask) ? mask : null,
                    model.Quantization.TryGetValue(name, out var q) ? q : null));
            writer.Flush();
            sections.Add(new CompactSection(CompactFormat.TensorSection, stream.ToArray()));
        }
        long historyBytes = 0;
        if (!options.ExcludeHistory)
        {
            var history = Text(CompactHistoryJson.Write(model.History));
            historyBytes = history.Length;
            sections.Add(new CompactSection(CompactFormat.HistorySection, history));
        }
        return new CompactEncoding(CompactContainer.Write(sections), infos, architecture.Body.Length, historyBytes)
        {
            MetadataBytes = sections[0].Body.Length,
            TensorBytes = sections[2].Body.Length,
            FramingBytes = CompactFormat.HeaderLength + sections.Count * CompactFormat.SectionHeaderLength,
        };
    }

    /// <summary>Writes the model to <paramref name="stream"/> (the caller makes the file atomic) and returns its encoding.</summary>
    public static CompactEncoding Write(CompressionModel model, Stream stream, CompactWriteOptions? options = null)
    {
        var encoding = Encode(model, options);
        stream.Write(encoding.File);
        return encoding;
    }

    /// <summary>A JSON section's body: one byte stream, its codec the smallest (Brotli, usually).</summary>
    internal static byte[] Text(byte[] json) => CompactBlob.Encode(json, int.MaxValue).ToBytes();

    private static byte[] Metadata(CompressionModel model) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
    {
        ["name"] = model.Name,
        ["source"] = model.Source,
        ["kind"] = model.IsTorchScript ? "torchscript" : "built-in",
        ["architecture"] = model.Architecture,
        ["traced"] = model.IsTraced,
        ["parameters"] = model.Parameters,
        ["dense-bytes"] = model.DenseBytes,
        ["writer"] = $"{WriterName} {typeof(CompactWriter).Assembly.GetName().Version}",
    });
}
