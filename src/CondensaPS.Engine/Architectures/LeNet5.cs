using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// LeNet-5 as in the PyTorch tutorials (conv1, conv2, fc1, fc2, fc3; ReLU and 2x2 max pooling). conv1 pads by 2
/// so a 28x28 MNIST digit gives the classic 16x5x5 feature map.
/// </summary>
internal sealed class LeNet5 : nn.Module<Tensor, Tensor>
{
    public static readonly string[] Layers = { "conv1", "conv2", "fc1", "fc2", "fc3" };

    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> fc1;
    private readonly nn.Module<Tensor, Tensor> fc2;
    private readonly nn.Module<Tensor, Tensor> fc3;

    public LeNet5(ArchitectureSpec spec) : base("lenet5")
    {
        FactorizableLayers.RequireKnown(spec, Layers);
        var w = spec.LayerWidths();
        conv1 = FactorizableLayers.Conv2d(spec, "conv1", spec.InputChannels, w["conv1"], 5, padding: 2);
        conv2 = FactorizableLayers.Conv2d(spec, "conv2", w["conv1"], w["conv2"], 5);
        long side = ((spec.InputSize / 2) - 4) / 2;
        fc1 = FactorizableLayers.Linear(spec, "fc1", w["conv2"] * side * side, w["fc1"]);
        fc2 = FactorizableLayers.Linear(spec, "fc2", w["fc1"], w["fc2"]);
        fc3 = FactorizableLayers.Linear(spec, "fc3", w["fc2"], spec.NumClasses);
        RegisterComponents();
    }

    /// <summary>conv1 (6 filters), conv2 (16), fc1 (120), fc2 (84); fc3's width is the number of classes.</summary>
    public static LayerWidthLayout Layout()
    {
        var layout = new LayerWidthLayout();
        layout.Add("conv1", 6);
        layout.Add("conv2", 16);
        layout.Add("fc1", 120);
        layout.Add("fc2", 84);
        return layout;
    }

    public override Tensor forward(Tensor input)
    {
        var x = nn.functional.max_pool2d(nn.functional.relu(conv1.call(input)), 2);
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.call(x)), 2);
        x = x.flatten(1);
        x = nn.functional.relu(fc1.call(x));
        x = nn.functional.relu(fc2.call(x));
        return fc3.call(x);
    }
}
