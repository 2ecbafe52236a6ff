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

    /// <summary>Checks that the model can be written in the format before anything is written.</summary>
    public static void Validate(CompressionModel model, ModelFileFormat format)
    {
        if (format == ModelFileFormat.PyTorchStateDict)
            throw new EngineException("FormatNotWritable", EngineErrorKind.NotSupported,
                "CondensaPS reads PyTorch state dicts but does not write them; export as SafeTensors, which PyTorch's safetensors package reads.", format);
    }

    /// <summary>"format": "pt" as Hugging Face's writers put it, plus where the weights came from.</summary>
    private static Dictionary<string, string> SafeTensorsMetadata(CompressionModel model)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            ["condensaps.name"] = model.Name,
        };
        if (model.Spec is { } spec) SafeTensorsArchitecture.Write(spec, metadata);
        return metadata;
    }

    public static void Export(CompressionModel model, string path, ModelFileFormat format, bool overwrite)
    {
        TorchRuntime.EnsureInitialized();
        Validate(model, format);
        AtomicFile.Write(path, overwrite, temp =>
        {
            switch (format)
            {
                case ModelFileFormat.TorchScript when model.IsTorchScript:
                    jit.save((jit.ScriptModule)model.Module, temp);
                    break;
                case ModelFileFormat.TorchScript:
                    TorchScript.BuiltInTorchScript.Write(model, temp, Path.GetFileNameWithoutExtension(path));
                    break;
                case ModelFileFormat.TorchSharp:
                    TorchSharpWeightsFile.Write(temp, model.NamedParameters().Concat(model.NamedBuffers()));
                    break;
                case ModelFileFormat.Compact:
                    Compact.CompactWriter.Write(model, temp);
                    break;
                case ModelFileFormat.SafeTensors:
                    // PyTorch's state_dict names: parameters and buffers by their dotted module paths.
                    SafeTensorsFile.Write(temp, model.NamedParameters().Concat(model.NamedBuffers()), SafeTensorsMetadata(model));
                    break;
                default:
                    throw new EngineException("FormatNotWritable", EngineErrorKind.NotSupported, $"Writing {format} files is not supported yet.", format);
            }
        });
    }
}
