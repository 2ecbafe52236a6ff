using System.Text.Json;
using CondensaPS.Engine.Models;
using TorchSharp;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>What encoding a model produced: the file's bytes and how each tensor was stored.</summary>
public sealed record CompactEncoding(byte[] File, IReadOnlyList<CompactTensorInfo> Tensors, long ArchitectureBytes, long HistoryBytes);

/// <summary>
/// Encodes a model in the compact format: META (JSON), ARCH (built-in architecture settings) or TSAR (stripped
/// TorchScript archive), TENS (tensor records: values at storage precision, sparse where smaller, masks and
/// quantization records), HIST (history JSON). The model is not changed.
/// </summary>
public static class CompactWriter
{
    public const string WriterName = "CondensaPS";

    public static CompactEncoding Encode(CompressionModel model)
    {
        TorchRuntime.EnsureInitialized();
        var sections = new List<CompactSection>();
        sections.Add(new CompactSection(CompactFormat.MetadataSection, Metadata(model)));
        var architecture = model.IsTorchScript
            ? new CompactSection(CompactFormat.TorchScriptSection, CompactTorchScript.Encode((torch.jit.ScriptModule)model.Module))
            : new CompactSection(CompactFormat.ArchitectureSection, ArchitectureSpecJson.Write(model.Spec!));
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
        var history = CompactHistoryJson.Write(model.History);
        sections.Add(new CompactSection(CompactFormat.HistorySection, history));
        return new CompactEncoding(CompactContainer.Write(sections), infos, architecture.Body.Length, history.Length);
    }

    /// <summary>Writes the model to <paramref name="stream"/> (the caller makes the file atomic) and returns its encoding.</summary>
    public static CompactEncoding Write(CompressionModel model, Stream stream)
    {
        var encoding = Encode(model);
        stream.Write(encoding.File);
        return encoding;
    }

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
