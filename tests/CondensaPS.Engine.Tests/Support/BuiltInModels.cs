using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Support;

/// <summary>Every built-in architecture at a small size, seeded, with batch-norm statistics that are not the defaults.</summary>
public static class BuiltInModels
{
    public static IEnumerable<object[]> Architectures => ArchitectureRegistry.Names.Select(n => new object[] { n });

    /// <summary>
    /// Small settings per architecture: 32x32 inputs (ResNet-50 64x64, so that its last batch norms see 2x2 maps and
    /// batch statistics over a batch of four are not dominated by float32 rounding), 10 classes; VGGs with a 1x1 pool
    /// and a small classifier.
    /// </summary>
    public static ModelLoadOptions Options(string architecture, long seed = 1) => architecture switch
    {
        "mlp" => new ModelLoadOptions { Architecture = "mlp", InputSize = 8, HiddenSizes = new[] { 32, 16 }, NumClasses = 5, Seed = seed },
        "lenet5" => new ModelLoadOptions { Architecture = "lenet5", Seed = seed },
        "resnet50" => new ModelLoadOptions { Architecture = "resnet50", InputSize = 64, NumClasses = 10, Seed = seed },
        "vgg16_bn" or "vgg19_bn" => new ModelLoadOptions { Architecture = architecture, InputSize = 32, NumClasses = 10, PoolSize = 1, HiddenSizes = new[] { 64, 32 }, Seed = seed },
        _ => new ModelLoadOptions { Architecture = architecture, InputSize = 32, NumClasses = 10, Seed = seed },
    };

    public static ArchitectureSpec Spec(string architecture)
    {
        var o = Options(architecture);
        return ArchitectureRegistry.CreateSpec(o.Architecture!, o.NumClasses, o.InputChannels, o.InputSize, o.HiddenSizes, o.PoolSize);
    }

    public static CompressionModel New(string architecture, long seed = 1) => Calibrated(ModelLoader.New(Options(architecture, seed)));

    /// <summary>A few training-mode passes over random data, so running statistics look like a trained model's.</summary>
    public static CompressionModel Calibrated(CompressionModel model)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.Module.train();
        for (int i = 0; i < 3; i++) model.Forward(Input(model.Spec!, 8, seed: 100 + i) * 2 + 0.5);
        model.Module.eval();
        return model;
    }

    /// <summary>A seeded random batch of the spec's input shape.</summary>
    public static Tensor Input(ArchitectureSpec spec, long batch, long seed)
    {
        random.manual_seed(seed);
        return randn(new[] { batch }.Concat(ArchitectureRegistry.SampleShape(spec)).ToArray());
    }

    /// <summary>Whether the architecture has dropout (its training-mode outputs are random).</summary>
    public static bool HasDropout(string architecture) => architecture is "vgg16_bn" or "vgg19_bn" or "mobilenet_v2";

    public static double RelativeDifference(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<float>() / Math.Max(1.0, expected.abs().max().item<float>());
}
