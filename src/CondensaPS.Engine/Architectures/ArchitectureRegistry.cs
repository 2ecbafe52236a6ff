using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>The built-in architectures, by name, with their default settings.</summary>
public static class ArchitectureRegistry
{
    public static IReadOnlyList<string> Names { get; } = new[] { "mlp", "lenet5", "resnet18", "resnet50" };

    /// <summary>Fills in defaults (0 or null means default) and validates the settings.</summary>
    public static ArchitectureSpec CreateSpec(string name, int numClasses = 0, int inputChannels = 0, int inputSize = 0, IReadOnlyList<int>? hiddenSizes = null)
    {
        var key = (name ?? "").Trim().ToLowerInvariant();
        if (!Names.Contains(key))
            throw new EngineException("UnknownArchitecture", EngineErrorKind.InvalidArgument,
                $"Unknown architecture '{name}'. Built-in architectures: {string.Join(", ", Names)}.", name);
        if (numClasses < 0 || inputChannels < 0 || inputSize < 0)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Architecture settings must be positive (num-classes {numClasses}, input-channels {inputChannels}, input-size {inputSize}).", name);
        bool imageNet = key.StartsWith("resnet", StringComparison.Ordinal);
        var spec = new ArchitectureSpec(
            key,
            numClasses > 0 ? numClasses : imageNet ? 1000 : 10,
            inputChannels > 0 ? inputChannels : imageNet ? 3 : 1,
            inputSize > 0 ? inputSize : imageNet ? 224 : 28,
            key == "mlp" ? (hiddenSizes is { Count: > 0 } ? hiddenSizes.ToArray() : new[] { 256, 128 }) : Array.Empty<int>());
        if (spec.HiddenSizes.Any(h => h <= 0))
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Hidden sizes must be positive: {string.Join(",", spec.HiddenSizes)}.", hiddenSizes);
        if (key == "lenet5" && spec.InputSize < 8)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"LeNet-5 needs inputs of at least 8x8 pixels, not {spec.InputSize}.", inputSize);
        return spec;
    }

    /// <summary>Builds a freshly initialised module (seeded by torch's generator) for the spec.</summary>
    public static nn.Module<Tensor, Tensor> Build(ArchitectureSpec spec)
    {
        TorchRuntime.EnsureInitialized();
        nn.Module<Tensor, Tensor> module = spec.Name switch
        {
            "mlp" => new Mlp(spec),
            "lenet5" => new LeNet5(spec),
            "resnet18" => ResNet.ResNet18(spec),
            "resnet50" => ResNet.ResNet50(spec),
            _ => throw new EngineException("UnknownArchitecture", EngineErrorKind.InvalidArgument, $"Unknown architecture '{spec.Name}'.", spec.Name),
        };
        module.eval();
        return module;
    }

    /// <summary>The input shape of one sample, as the architecture expects it.</summary>
    public static long[] SampleShape(ArchitectureSpec spec) => new long[] { spec.InputChannels, spec.InputSize, spec.InputSize };
}
