using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>Reads a weights-only file (name -> tensor, on the CPU) in any of the supported formats.</summary>
public static class StateDictReader
{
    public static Dictionary<string, Tensor> Read(string path, ModelFileFormat format, Action<string>? log = null) => format switch
    {
        ModelFileFormat.TorchSharp => TorchSharpWeightsFile.Read(path),
        ModelFileFormat.PyTorchStateDict => PyTorchStateDictFile.Read(path, log),
        ModelFileFormat.SafeTensors => SafeTensorsFile.Read(path),
        _ => throw new EngineException("NotAWeightsFile", EngineErrorKind.InvalidArgument,
            $"'{path}' is read as {format}, which is not a weights file; Import-Model reads TorchScript archives by themselves.", path),
    };
}
