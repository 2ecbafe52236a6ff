using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>The built-in architectures, by name, with their default settings.</summary>
public static class ArchitectureRegistry
{
    public static IReadOnlyList<string> Names { get; } = new[] { "mlp", "lenet5", "lenet5-caffe", "resnet18", "resnet50", "vgg16_bn", "vgg19_bn", "mobilenet_v2" };

    // Bounds on the settings, far above any real use (ImageNet-21k has 21,841 classes), so that a setting read from a
    // damaged or hostile file cannot make the engine allocate terabytes before the weights are even compared.
    public const int MaxClasses = 1_000_000, MaxChannels = 4096, MaxInputSize = 16384, MaxHidden = 1_048_576;
    public const long MaxLayerElements = 1L << 31;

    /// <summary>Architectures made for ImageNet (3 channels, 224 pixels, 1000 classes by default), as torchvision has them.</summary>
    private static bool IsImageNet(string name) => name is "resnet18" or "resnet50" or "vgg16_bn" or "vgg19_bn" or "mobilenet_v2";

    private static bool IsVgg(string name) => name is "vgg16_bn" or "vgg19_bn";

    /// <summary>
    /// Fills in defaults (0 or null means default) and validates the settings. <paramref name="hiddenSizes"/>: the
    /// MLP's hidden layers, or VGG's two classifier hidden layers (torchvision: 4096, 4096); <paramref name="poolSize"/>:
    /// VGG's adaptive average pool side before the classifier (torchvision: 7; 1 suits 32x32 inputs);
    /// <paramref name="widths"/>: per-layer output widths by module path (see <see cref="ArchitectureSpec.WithWidths"/>).
    /// </summary>
    public static ArchitectureSpec CreateSpec(string name, int numClasses = 0, int inputChannels = 0, int inputSize = 0,
        IReadOnlyList<int>? hiddenSizes = null, int poolSize = 0, IReadOnlyDictionary<string, int>? widths = null)
    {
        var key = (name ?? "").Trim().ToLowerInvariant();
        if (!Names.Contains(key))
            throw new EngineException("UnknownArchitecture", EngineErrorKind.InvalidArgument,
                $"Unknown architecture '{name}'. Built-in architectures: {string.Join(", ", Names)}.", name);
        if (numClasses < 0 || inputChannels < 0 || inputSize < 0 || poolSize < 0)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Architecture settings must be positive (num-classes {numClasses}, input-channels {inputChannels}, input-size {inputSize}, pool-size {poolSize}).", name);
        bool imageNet = IsImageNet(key);
        bool vgg = IsVgg(key);
        if (hiddenSizes is { Count: > 0 } && key != "mlp" && !vgg)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Hidden sizes are settings of mlp and the VGGs, not of {key}.", hiddenSizes);
        if (poolSize > 0 && !vgg)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"The pool size is a setting of the VGGs, not of {key}.", poolSize);
        var hidden = hiddenSizes is { Count: > 0 } ? hiddenSizes.ToArray()
            : key == "mlp" ? new[] { 256, 128 } : vgg ? new[] { 4096, 4096 } : Array.Empty<int>();
        var spec = new ArchitectureSpec(
            key,
            numClasses > 0 ? numClasses : imageNet ? 1000 : 10,
            inputChannels > 0 ? inputChannels : imageNet ? 3 : 1,
            inputSize > 0 ? inputSize : imageNet ? 224 : 28,
            hidden)
        {
            PoolSize = vgg ? (poolSize > 0 ? poolSize : 7) : 0,
        };
        if (spec.HiddenSizes.Any(h => h <= 0))
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Hidden sizes must be positive: {string.Join(",", spec.HiddenSizes)}.", hiddenSizes);
        if (vgg && spec.HiddenSizes.Count != 2)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"{key}'s classifier has two hidden layers; give two hidden sizes, not {spec.HiddenSizes.Count} ({string.Join(",", spec.HiddenSizes)}).", hiddenSizes);
        if (key == "lenet5" && spec.InputSize < 8)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"LeNet-5 needs inputs of at least 8x8 pixels, not {spec.InputSize}.", inputSize);
        if (vgg && spec.InputSize < 32)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"{key} halves its input five times and needs at least 32x32 pixels, not {spec.InputSize} (resize the data, e.g. Import-Dataset -Resize 32).", inputSize);
        if (key == "lenet5-caffe" && spec.InputSize < 16)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Caffe's LeNet-5 needs inputs of at least 16x16 pixels, not {spec.InputSize}.", inputSize);
        if (spec.NumClasses > MaxClasses || spec.InputChannels > MaxChannels || spec.InputSize > MaxInputSize || spec.HiddenSizes.Any(h => h > MaxHidden))
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                $"Architecture settings out of range: num-classes {spec.NumClasses} (at most {MaxClasses:N0}), input-channels {spec.InputChannels} (at most {MaxChannels:N0}), " +
                $"input-size {spec.InputSize} (at most {MaxInputSize:N0}), hidden sizes {string.Join(",", spec.HiddenSizes)} (at most {MaxHidden:N0} each).", name);
        if (key == "mlp")
        {
            // The first layer's weight is hidden[0] x (channels x size x size): refuse one that no machine holds.
            long inputs = (long)spec.InputChannels * spec.InputSize * spec.InputSize;
            long widest = new[] { inputs }.Concat(spec.HiddenSizes.Select(h => (long)h)).Zip(spec.HiddenSizes.Select(h => (long)h).Append(spec.NumClasses), (a, b) => a * b).Max();
            if (widest > MaxLayerElements)
                throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument,
                    $"An MLP on {spec.InputChannels}x{spec.InputSize}x{spec.InputSize} inputs with hidden sizes {string.Join(",", spec.HiddenSizes)} would have a layer of {widest:N0} weights, over {MaxLayerElements:N0}.", name);
        }
        return spec.WithNormalizedWidths(widths);
    }

    /// <summary>The layers of the spec's architecture that have a width of their own (see <see cref="LayerWidthLayout"/>).</summary>
    public static LayerWidthLayout Layout(ArchitectureSpec spec) => spec.Name switch
    {
        "mlp" => Mlp.Layout(spec),
        "lenet5" => LeNet5.Layout(),
        "lenet5-caffe" => LeNet5Caffe.Layout(),
        "resnet18" or "resnet50" => ResNet.Layout(spec.Name),
        "vgg16_bn" or "vgg19_bn" => Vgg.Layout(spec),
        "mobilenet_v2" => MobileNetV2.Layout(),
        _ => throw new EngineException("UnknownArchitecture", EngineErrorKind.InvalidArgument, $"Unknown architecture '{spec.Name}'.", spec.Name),
    };

    /// <summary>Builds a freshly initialised module (seeded by torch's generator) for the spec, its widths included.</summary>
    public static nn.Module<Tensor, Tensor> Build(ArchitectureSpec spec)
    {
        TorchRuntime.EnsureInitialized();
        nn.Module<Tensor, Tensor> module = spec.Name switch
        {
            "mlp" => new Mlp(spec),
            "lenet5" => new LeNet5(spec),
            "lenet5-caffe" => new LeNet5Caffe(spec),
            "resnet18" or "resnet50" => new ResNet(spec),
            "vgg16_bn" or "vgg19_bn" => new Vgg(spec),
            "mobilenet_v2" => new MobileNetV2(spec),
            _ => throw new EngineException("UnknownArchitecture", EngineErrorKind.InvalidArgument, $"Unknown architecture '{spec.Name}'.", spec.Name),
        };
        module.eval();
        return module;
    }

    /// <summary>
    /// The layers a spec's architecture can factorize (low-rank), by name. The ResNets are not factorizable yet: their
    /// blocks build their convolutions directly.
    /// </summary>
    public static IReadOnlyList<string> FactorizableLayers(ArchitectureSpec spec) => spec.Name switch
    {
        "lenet5" => LeNet5.Layers,
        "lenet5-caffe" => LeNet5Caffe.Layers,
        "mlp" => Enumerable.Range(1, spec.HiddenSizes.Count + 1).Select(i => $"fc{i}").ToList(),
        _ => Array.Empty<string>(),
    };

    /// <summary>The input shape of one sample, as the architecture expects it.</summary>
    public static long[] SampleShape(ArchitectureSpec spec) => new long[] { spec.InputChannels, spec.InputSize, spec.InputSize };
}
