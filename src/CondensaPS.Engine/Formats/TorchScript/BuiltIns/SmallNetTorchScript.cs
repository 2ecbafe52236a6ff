using TorchSharp;

namespace CondensaPS.Engine.Formats.TorchScript.BuiltIns;

/// <summary>The built-in LeNet-5 and MLP (not in torchvision) as scripted modules of CondensaPS's own classes.</summary>
internal static class SmallNetTorchScript
{
    /// <summary>conv1, ReLU, 2x2 max pool, conv2, ReLU, 2x2 max pool, flatten, fc1, ReLU, fc2, ReLU, fc3.</summary>
    public static TorchScriptModule LeNet5(torch.nn.Module lenet)
    {
        var module = ModuleChildren.Convert("condensaps.models.lenet.LeNet5", lenet);
        var f = new ForwardWriter("x");
        var x = f.Argument;
        foreach (var conv in new[] { "conv1", "conv2" })
        {
            x = f.Let($"torch.relu({f.Call(conv, x)})");
            x = f.Let($"torch.max_pool2d({x}, [2, 2], [2, 2], [0, 0], [1, 1], False)");
        }
        x = f.Let($"torch.flatten({x}, 1)");
        x = f.Let($"torch.relu({f.Call("fc1", x)})");
        x = f.Let($"torch.relu({f.Call("fc2", x)})");
        return module.Method(f.Method(f.Call("fc3", x)));
    }

    /// <summary>Caffe's LeNet-5: conv1, 2x2 max pool, conv2, 2x2 max pool, flatten, fc1, ReLU, fc2 (no ReLU after the convolutions).</summary>
    public static TorchScriptModule LeNet5Caffe(torch.nn.Module lenet)
    {
        var module = ModuleChildren.Convert("condensaps.models.lenet.LeNet5Caffe", lenet);
        var f = new ForwardWriter("x");
        var x = f.Argument;
        foreach (var conv in new[] { "conv1", "conv2" })
            x = f.Let($"torch.max_pool2d({f.Call(conv, x)}, [2, 2], [2, 2], [0, 0], [1, 1], False)");
        x = f.Let($"torch.flatten({x}, 1)");
        x = f.Let($"torch.relu({f.Call("fc1", x)})");
        return module.Method(f.Method(f.Call("fc2", x)));
    }

    /// <summary>flatten, then fc1 .. fcN with ReLU between.</summary>
    public static TorchScriptModule Mlp(torch.nn.Module mlp)
    {
        var module = ModuleChildren.Convert("condensaps.models.mlp.Mlp", mlp);
        var layers = mlp.named_children().Select(c => c.name).ToList();
        var f = new ForwardWriter("x");
        var x = f.Let($"torch.flatten({f.Argument}, 1)");
        for (int i = 0; i < layers.Count; i++)
        {
            x = f.Call(layers[i], x);
            if (i < layers.Count - 1) x = f.Let($"torch.relu({x})");
        }
        return module.Method(f.Method(x));
    }
}
