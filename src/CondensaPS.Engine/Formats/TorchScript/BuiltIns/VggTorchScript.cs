using TorchSharp;

namespace CondensaPS.Engine.Formats.TorchScript.BuiltIns;

/// <summary>The built-in VGGs as torchvision's scripted VGG: features, avgpool, flatten, classifier.</summary>
internal static class VggTorchScript
{
    public static TorchScriptModule Convert(torch.nn.Module vgg)
    {
        var module = ModuleChildren.Convert("torchvision.models.vgg.VGG", vgg);
        var f = new ForwardWriter("x");
        var x = f.Call("avgpool", f.Call("features", f.Argument));
        x = f.Let($"torch.flatten({x}, 1)");
        return module.Method(f.Method(f.Call("classifier", x)));
    }
}
