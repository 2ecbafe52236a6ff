using CondensaPS.Engine.Architectures;
using TorchSharp;

namespace CondensaPS.Engine.Formats.TorchScript.BuiltIns;

/// <summary>
/// The built-in ResNets as torchvision's scripted ResNet, BasicBlock and Bottleneck. The projections are plain strided
/// 1x1 convolutions here (the built-in module computes the same values at stride 1 on subsampled pixels, a workaround
/// for a oneDNN fault in TorchSharp's libtorch that PyTorch does not need).
/// </summary>
internal static class ResNetTorchScript
{
    private const string Namespace = "torchvision.models.resnet.";

    public static TorchScriptModule Convert(torch.nn.Module resnet)
    {
        var module = ModuleChildren.Convert(Namespace + "ResNet", resnet, Block);
        var f = new ForwardWriter("x");
        var x = f.Call("bn1", f.Call("conv1", f.Argument));
        x = f.Let($"torch.relu_({x})");
        x = f.Let($"torch.max_pool2d({x}, [3, 3], [2, 2], [1, 1], [1, 1], False)");
        foreach (var layer in new[] { "layer1", "layer2", "layer3", "layer4" }) x = f.Call(layer, x);
        x = f.Let($"torch.adaptive_avg_pool2d({x}, [1, 1])");
        x = f.Let($"torch.flatten({x}, 1)");
        return module.Method(f.Method(f.Call("fc", x)));
    }

    private static TorchScriptModule? Block(torch.nn.Module module) => module switch
    {
        ResNet.BasicBlock block => Block("BasicBlock", block, new[] { "conv1", "bn1", "conv2", "bn2" }),
        ResNet.Bottleneck block => Block("Bottleneck", block, new[] { "conv1", "bn1", "conv2", "bn2", "conv3", "bn3" }),
        _ => null,
    };

    /// <summary>Convolution, batch norm and ReLU in turn (no ReLU after the last batch norm), the residual sum, ReLU.</summary>
    private static TorchScriptModule Block(string name, torch.nn.Module block, string[] layers)
    {
        var module = ModuleChildren.Convert(Namespace + name, block);
        bool downsample = block.named_children().Any(c => c.name == "downsample");
        var f = new ForwardWriter("x", "out");
        var output = f.Argument;
        for (int i = 0; i < layers.Length; i += 2)
        {
            output = f.Call(layers[i + 1], f.Call(layers[i], output));
            if (i + 2 < layers.Length) output = f.Let($"torch.relu_({output})");
        }
        var identity = downsample ? f.Call("downsample", f.Argument) : f.Argument;
        output = f.Let($"torch.add_({output}, {identity})");
        return module.Method(f.Method($"torch.relu_({output})"));
    }
}
