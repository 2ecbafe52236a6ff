using System.Runtime.InteropServices;
using System.Text.Json;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// Reads a compact file back into a model: checks the container (truncation, checksums, version), decodes every
/// section, rebuilds the module, then copies values, masks, quantization and history in. Anything that fails leaves
/// nothing behind: every tensor and module made so far is disposed before the error is thrown.
/// </summary>
public static class CompactReader
{
    /// <summary>The most a JSON section (metadata, architecture, history) may decode to.</summary>
    public const long MaxTextBytes = 256L << 20;

    public static CompressionModel Load(string path, Device device, string? name = null, OperationContext? context = null)
    {
        context ??= OperationContext.None;
        TorchRuntime.EnsureInitialized();
        byte[] file;
        try
        {
            using var stream = File.OpenRead(path);
            if (stream.Length > Array.MaxLength)
            {
                // Too large to hold: the header alone tells what is wrong with it.
                var start = new byte[CompactFormat.HeaderLength];
                int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
                CompactContainer.ReadHeader(start.AsSpan(0, read), stream.Length, path);
                throw new EngineException("TensorTooLarge", EngineErrorKind.NotSupported, $"'{path}' is larger than 2 GB, which CondensaPS does not read.", path);
            }
            file = new byte[stream.Length];
            stream.ReadExactly(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.NotReadable(path, e);
        }
        var sections = CompactContainer.Read(file, path, out ushort version);
        byte[] Section(string kind) => sections.FirstOrDefault(s => s.Kind == kind)?.Body
            ?? throw CompactContainer.Invalid(path, $"it has no {kind} section");
        // Version 2's JSON sections are byte streams; version 1's are the JSON itself.
        byte[] Text(string kind, string what)
        {
            var body = Section(kind);
            if (version == 1) return body;
            try { return CompactBlob.ReadWhole(body, what, MaxTextBytes); }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or OverflowException)
            {
                throw CompactContainer.Invalid(path, $"its {what} does not decode: {e.Message}", e);
            }
        }

        var meta = CompactMetadata.Parse(Text(CompactFormat.MetadataSection, "metadata section"), path);
        List<HistoryStep> history;
        // Version 2 may leave the history out (Export-Model -ExcludeHistory).
        bool hasHistory = version == 1 || sections.Any(s => s.Kind == CompactFormat.HistorySection);
        try { history = hasHistory ? CompactHistoryJson.Read(Text(CompactFormat.HistorySection, "history section")) : new List<HistoryStep>(); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException or FormatException)
        {
            throw CompactContainer.Invalid(path, $"its history section is not valid: {e.Message}", e);
        }

        var tensors = ReadTensors(Section(CompactFormat.TensorSection), path);
        CompressionModel? model = null;
        try
        {
            var modelName = name ?? (string.IsNullOrEmpty(meta.Name) ? Path.GetFileNameWithoutExtension(path) : meta.Name);
            if (meta.IsTorchScript)
            {
                var module = CompactTorchScript.Load(Section(CompactFormat.TorchScriptSection), version, device, path, out bool traced);
                model = CompressionModel.FromTorchScript(module, modelName, path, traced, device);
            }
            else
            {
                var spec = ReadSpec(Text(CompactFormat.ArchitectureSection, "architecture section"), path);
                model = CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(spec), spec, modelName, path, device);
            }
            Fill(model, tensors, path);
            foreach (var step in history) model.AppendHistory(step);
            context.Log($"Read '{path}': {model.Architecture}, {tensors.Count} tensors, {model.Masks.Count} masks, {model.Quantization.Count} quantized, {history.Count} history steps.");
            return model;
        }
        catch
        {
            model?.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in tensors) t.Dispose();
        }
    }

    private static List<DecodedTensor> ReadTensors(byte[] body, string path)
    {
        var tensors = new List<DecodedTensor>();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(body));
            long count = Leb128.Read(reader);
            if (count < 0 || count > 1_000_000) throw new InvalidDataException($"{count} tensors");
            for (long i = 0; i < count; i++) tensors.Add(CompactTensorCodec.Read(reader));
            if (reader.BaseStream.Position != body.Length) throw new InvalidDataException("bytes follow the last tensor");
            return tensors;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or OverflowException or ArgumentException or FormatException or ExternalException)
        {
            foreach (var t in tensors) t.Dispose();
            throw CompactContainer.Invalid(path, $"its tensor section is not valid: {e.Message}", e);
        }
    }

    private static ArchitectureSpec ReadSpec(byte[] json, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e)
        {
            throw CompactContainer.Invalid(path, $"its architecture section is not valid: {e.Message}", e);
        }
        using (doc)
        {
            try
            {
                return ArchitectureSpecJson.Read(doc.RootElement);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw CompactContainer.Invalid(path, $"its architecture section is not valid: {e.Message}", e);
            }
            catch (Exception e) when (e is EngineException or FormatException or InvalidCastException or OverflowException)
            {
                throw CompactTorchScript.Unavailable(path, e.Message, e);
            }
        }
    }

    /// <summary>Checks that the records match the rebuilt module exactly, then copies values, masks and quantization in.</summary>
    private static void Fill(CompressionModel model, List<DecodedTensor> tensors, string path)
    {
        var targets = model.NamedParameters().Select(p => (p.Name, p.Tensor, IsBuffer: false))
            .Concat(model.NamedBuffers().Select(b => (b.Name, b.Tensor, IsBuffer: true)))
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var records = new Dictionary<string, DecodedTensor>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var t in tensors)
        {
            if (!records.TryAdd(t.Name, t)) problems.Add($"'{t.Name}' appears twice");
            else if (!targets.TryGetValue(t.Name, out var target)) problems.Add($"unexpected '{t.Name}'");
            else if (!t.Value.shape.SequenceEqual(target.Tensor.shape) || t.Value.dtype != target.Tensor.dtype)
                problems.Add($"'{t.Name}' is {t.Value.dtype}[{string.Join("x", t.Value.shape)}] in the file but {target.Tensor.dtype}[{string.Join("x", target.Tensor.shape)}] in the model");
        }
        problems.AddRange(targets.Keys.Where(k => !records.ContainsKey(k)).Select(k => $"missing '{k}'"));
        if (problems.Count > 0)
            throw new EngineException("CompactTensorMismatch", EngineErrorKind.InvalidData,
                $"The tensors in '{path}' do not fit the model they describe ({model.Architecture}): {string.Join("; ", problems.Take(8))}{(problems.Count > 8 ? "; ..." : ".")}", path);

        var device = model.TorchDevice;
        using (no_grad())
            foreach (var (name, (_, target, _)) in targets) target.copy_(records[name].Value);
        foreach (var t in tensors)
        {
            if (t.Mask is not null) model.Masks[t.Name] = t.Mask.to(device).clone();
            if (t.Quantization is not null) model.Quantization[t.Name] = t.Quantization.Clone(device);
        }
    }
}
