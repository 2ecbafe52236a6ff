using CondensaPS.Engine.Architectures;
using TorchSharp;
using TorchSharp.Modules;

namespace CondensaPS.Engine.Formats.TorchScript.BuiltIns;

/// <summary>
/// The built-in MobileNetV2 as torchvision's scripted MobileNetV2, InvertedResidual and Conv2dNormActivation. An
/// inverted residual block's forward is written for its own case: <c>torch.add(x, (conv).forward(x, ))</c> where it
/// adds its input back (use_res_connect), <c>(conv).forward(x, )</c> where it does not.
/// </summary>
internal static class MobileNetV2TorchScript
{
    private const string Namespace = "torchvision.models.mobilenetv2.";

    public static TorchScriptModule Convert(torch.nn.Module mobilenet)
    {
        var module = ModuleChildren.Convert(Namespace + "MobileNetV2", mobilenet, Part);
        var f = new ForwardWriter("x");
        var x = f.Call("features", f.Argument);
        x = f.Let($"torch.adaptive_avg_pool2d({x}, [1, 1])");
        x = f.Let($"torch.flatten({x}, 1)");
        return module.Method(f.Method(f.Call("classifier", x)));
    }

    private static TorchScriptModule? Part(torch.nn.Module module) => module switch
    {
        MobileNetV2.InvertedResidual block => InvertedResidual(block),
        Sequential sequential when IsConvNormActivation(sequential) =>
            TorchScriptLayers.Sequential("torchvision.ops.misc.Conv2dNormActivation", sequential),
        _ => null,
    };

    private static bool IsConvNormActivation(Sequential sequential)
    {
        var children = sequential.children().ToList();
        return children.Count == 3 && children[0] is Conv2d && children[1] is BatchNorm2d && children[2] is ReLU6;
    }

    private static TorchScriptModule InvertedResidual(MobileNetV2.InvertedResidual block)
    {
        var module = ModuleChildren.Convert(Namespace + "InvertedResidual", block, Part)
            .Constant("use_res_connect", "bool", TorchScriptLiterals.Bool(block.Residual));
        var f = new ForwardWriter("x");
        var output = f.Call("conv", f.Argument);
        return module.Method(f.Method(block.Residual ? $"torch.add({f.Argument}, {output})" : output));
    }
}
