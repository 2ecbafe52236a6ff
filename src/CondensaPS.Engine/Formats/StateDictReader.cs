using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>Reads a weights-only file (name -> tensor) in any of the supported formats.</summary>
public static class StateDictReader
{
    public static Dictionary<string, Tensor> Read(string path, ModelFileFormat format) => format switch
    {
        ModelFileFormat.TorchSharp => TorchSharpWeightsFile.Read(path),
        _ => throw new EngineException("FormatNotReadable", EngineErrorKind.NotSupported, $"Reading {format} files is not supported yet.", path),
    };
}
