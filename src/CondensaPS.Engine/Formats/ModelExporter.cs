using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>Writes a model to a file, atomically.</summary>
public static class ModelExporter
{
    /// <summary>
    /// The format a path's extension asks for: .safetensors, .cpz (Compact), TorchSharp's own .dat/.tsw, and TorchScript
    /// for everything else (.pt, .pth, ...), built-in models included, so that PyTorch's torch.jit.load reads it.
    /// </summary>
    public static ModelFileFormat DefaultFormat(CompressionModel model, string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext == ".safetensors") return ModelFileFormat.SafeTensors;
        if (ext is ".dat" or ".tsw") return ModelFileFormat.TorchSharp;
        if (ext == Compact.CompactFormat.Extension) return ModelFileFormat.Compact;
        return ModelFileFormat.TorchScript;
    }

    /// <summary>Whether CondensaPS writes files of this format at all (and if not, why).</summary>
    public static bool IsWritable(ModelFileFormat format, out string why)
    {
        why = format == ModelFileFormat.PyTorchStateDict
            ? "CondensaPS reads PyTorch state dicts but does not write them; export as SafeTensors, which PyTorch's safetensors package reads."
            : "";
        return why.Length == 0;
    }

    /// <summary>Checks that the model can be written in the format before anything is written.</summary>
    public static void Validate(CompressionModel model, ModelFileFormat format, Compact.CompactWriteOptions? compact = null)
    {
        if (compact is { ExcludeHistory: true } && format != ModelFileFormat.Compact)
            throw new EngineException("ExcludeHistoryNeedsCompact", EngineErrorKind.InvalidArgument,
                $"Leaving the history out applies to the Compact format; {format} files carry no history.", format);
        if (!IsWritable(format, out var why))
            throw new EngineException("FormatNotWritable", EngineErrorKind.NotSupported, why, format);
    }

    /// <summary>"format": "pt" as Hugging Face's writers put it, where the weights came from, and compressed-tensors'
    /// quantization_config when int8 weights are stored.</summary>
    private static Dictionary<string, string> SafeTensorsMetadata(CompressionModel model)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            ["condensaps.name"] = model.Name,
        };
        if (model.Spec is { } spec) SafeTensorsArchitecture.Write(spec, metadata);
        if (SafeTensorsQuantization.Config(model) is { } config) metadata[SafeTensorsQuantization.ConfigKey] = config;
        return metadata;
    }

    /// <summary>
    /// Writes the model, atomically (<see cref="AtomicFile"/>), and reports the file's bytes and how many of them each
    /// tensor type takes. A cancellation (Ctrl+C) while writing leaves nothing behind. SafeTensors stores each tensor at
    /// its storage type (see <see cref="SafeTensorsQuantization"/>); TorchScript and TorchSharp files hold the fp32
    /// values the model computes with; Compact files store values at their storage type, sparsely where that is
    /// smaller. A TorchScript model's archive is serialized by libtorch into memory and written by .NET, so a full or
    /// read-only disk is an error like any other (libtorch's own file writer kills the process when a write fails).
    /// <paramref name="log"/> hears which leftover temp files of killed writers were removed.
    /// </summary>
    public static ModelExportReport Export(CompressionModel model, string path, ModelFileFormat format, bool overwrite,
        CancellationToken cancellation = default, Action<string>? log = null, Compact.CompactWriteOptions? compact = null)
    {
        TorchRuntime.EnsureInitialized();
        Validate(model, format, compact);
        AtomicFile.CheckWritable(path, overwrite);
        var payload = new Dictionary<string, long>(StringComparer.Ordinal);
        if (format == ModelFileFormat.TorchScript && model.IsTorchScript)
        {
            using var archive = ScriptModuleArchive.Save((jit.ScriptModule)model.Module);
            cancellation.ThrowIfCancellationRequested();
            AtomicFile.Write(path, overwrite, stream => ScriptModuleArchive.CopyTo(archive, stream, cancellation), cancellation, log);
            AddTensors(payload, model.NamedParameters().Concat(model.NamedBuffers()));
        }
        else
        {
            AtomicFile.Write(path, overwrite, stream =>
            {
                using var scope = NewDisposeScope();
                switch (format)
                {
                    case ModelFileFormat.TorchScript:
                        TorchScript.BuiltInTorchScript.Write(model, stream, Path.GetFileNameWithoutExtension(path));
                        AddTensors(payload, model.NamedParameters().Concat(model.NamedBuffers()));
                        break;
                    case ModelFileFormat.TorchSharp:
                        TorchSharpWeightsFile.Write(stream, model.NamedParameters().Concat(model.NamedBuffers()), cancellation);
                        AddTensors(payload, model.NamedParameters().Concat(model.NamedBuffers()));
                        break;
                    case ModelFileFormat.Compact:
                        var dtypes = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor.dtype, StringComparer.Ordinal);
                        foreach (var tensor in Compact.CompactWriter.Write(model, stream, compact).Tensors)
                            Add(payload, tensor.Storage == Compact.ValueStorage.Raw ? TypeName(dtypes[tensor.Name]) : tensor.Storage.ToString().ToLowerInvariant(), tensor.Bytes);
                        break;
                    case ModelFileFormat.SafeTensors:
                        // PyTorch's state_dict names: parameters and buffers by their dotted module paths, each at its storage type.
                        var stored = SafeTensorsQuantization.Encode(model);
                        SafeTensorsFile.Write(stream, stored, SafeTensorsMetadata(model), cancellation);
                        AddTensors(payload, stored);
                        break;
                    default:
                        throw new EngineException("FormatNotWritable", EngineErrorKind.NotSupported, $"Writing {format} files is not supported yet.", format);
                }
            }, cancellation, log);
        }
        long bytes = new FileInfo(path).Length;
        var byType = payload.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        long other = bytes - byType.Sum(p => p.Value);
        if (other > 0) byType.Add(new KeyValuePair<string, long>(ModelExportReport.OtherBytes, other));
        return new ModelExportReport(model.Name, Path.GetFullPath(path), format, bytes, model.DenseBytes, byType.ToDictionary(p => p.Key, p => p.Value));
    }

    private static void AddTensors(Dictionary<string, long> payload, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (_, tensor) in tensors) Add(payload, TypeName(tensor.dtype), tensor.numel() * tensor.element_size());
    }

    private static void Add(Dictionary<string, long> payload, string type, long bytes) =>
        payload[type] = payload.GetValueOrDefault(type) + bytes;

    /// <summary>PyTorch's name for a dtype: float32, float16, bfloat16, int8, int64, ...</summary>
    internal static string TypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Int16 => "int16",
        ScalarType.Int32 => "int32",
        ScalarType.Int64 => "int64",
        ScalarType.Bool => "bool",
        _ => type.ToString().ToLowerInvariant(),
    };
}
