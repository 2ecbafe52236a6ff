using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// LeNet-5 as Caffe's MNIST example defines it, the network Deep Compression (Han et al. 2016) compresses 39x:
/// conv1 (20 filters 5x5), 2x2 max pooling, conv2 (50 filters 5x5), 2x2 max pooling, fc1 (500) with ReLU, fc2. No
/// padding and no ReLU after the convolutions, as in Caffe's lenet_train_test.prototxt. For 1x28x28 digits it has
/// 431,080 parameters (fc1 alone 400,500).
/// </summary>
internal sealed class LeNet5Caffe : nn.Module<Tensor, Tensor>
{
    public static readonly string[] Layers = { "conv1", "conv2", "fc1", "fc2" };

    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> fc1;
    private readonly nn.Module<Tensor, Tensor> fc2;

    public LeNet5Caffe(ArchitectureSpec spec) : base("lenet5_caffe")
    {
        FactorizableLayers.RequireKnown(spec, Layers);
        var w = spec.LayerWidths();
        conv1 = FactorizableLayers.Conv2d(spec, "conv1", spec.InputChannels, w["conv1"], 5);
        conv2 = FactorizableLayers.Conv2d(spec, "conv2", w["conv1"], w["conv2"], 5);
        long side = ((spec.InputSize - 4) / 2 - 4) / 2;
        fc1 = FactorizableLayers.Linear(spec, "fc1", w["conv2"] * side * side, w["fc1"]);
        fc2 = FactorizableLayers.Linear(spec, "fc2", w["fc1"], spec.NumClasses);
        RegisterComponents();
    }

    /// <summary>conv1 (20 filters), conv2 (50), fc1 (500); fc2's width is the number of classes.</summary>
    public static LayerWidthLayout Layout()
    {
        var layout = new LayerWidthLayout();
        layout.Add("conv1", 20);
        layout.Add("conv2", 50);
        layout.Add("fc1", 500);
        return layout;
    }

    public override Tensor forward(Tensor input)
    {
        var x = nn.functional.max_pool2d(conv1.call(input), 2);
        x = nn.functional.max_pool2d(conv2.call(x), 2);
        x = nn.functional.relu(fc1.call(x.flatten(1)));
        return fc2.call(x);
    }
}
