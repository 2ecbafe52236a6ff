using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Models;

/// <summary>Parses and validates -Device values (cpu, cuda, cuda:N) against this build and machine.</summary>
public static class ModelDevice
{
    public static Device Parse(string? text)
    {
        TorchRuntime.EnsureInitialized();
        var value = string.IsNullOrWhiteSpace(text) ? "cpu" : text.Trim().ToLowerInvariant();
        if (value == "cpu") return CPU;
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (value.Length > 4 && !int.TryParse(value[5..], out index))
                throw new EngineException("InvalidDevice", EngineErrorKind.InvalidArgument, $"'{text}' is not a device: use cpu, cuda or cuda:N.", text);
            if (TorchRuntime.Backend != "cuda")
                throw new EngineException("CudaNotInThisBuild", EngineErrorKind.NotInstalled,
                    $"Device '{text}' needs a CUDA build of CondensaPS; this one is built for CPU. Install the TorchSharp-cuda-linux package and build with: dotnet build CondensaPS.sln -p:TorchBackend=cuda", text);
            if (!cuda.is_available())
                throw new EngineException("CudaNotAvailable", EngineErrorKind.ResourceUnavailable, $"Device '{text}' was asked for, but torch finds no CUDA device on this machine.", text);
            if (index >= cuda.device_count())
                throw new EngineException("CudaDeviceNotFound", EngineErrorKind.ObjectNotFound, $"Device '{text}' does not exist: this machine has {cuda.device_count()} CUDA device(s).", text);
            return new Device(DeviceType.CUDA, index);
        }
        throw new EngineException("InvalidDevice", EngineErrorKind.InvalidArgument, $"'{text}' is not a device: use cpu, cuda or cuda:N.", text);
    }

    public static string ToText(Device device) => device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu";
}
