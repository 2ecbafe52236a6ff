using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// VGG-16 and VGG-19 with batch norm (torchvision's vgg16_bn and vgg19_bn, configurations D and E): <c>features</c>
/// (3x3 convolutions with bias, batch norm, in-place ReLU; 2x2 max pooling), <c>avgpool</c> (adaptive, to
/// <see cref="ArchitectureSpec.PoolSize"/> pixels a side; torchvision: 7) and <c>classifier</c> (two hidden linear
/// layers with ReLU and dropout 0.5, then the class scores; torchvision: 4096 and 4096). With the defaults, names,
/// shapes and outputs are torchvision's; a pool of 1 and small hidden layers suit 32x32 inputs, where torchvision's
/// 7x7 pool repeats a 1x1 map 49 times into a 25,088-wide first classifier layer.
/// </summary>
internal sealed class Vgg : nn.Module<Tensor, Tensor>
{
    private const int Pool = 0;
    private static readonly int[] Vgg16 = { 64, 64, Pool, 128, 128, Pool, 256, 256, 256, Pool, 512, 512, 512, Pool, 512, 512, 512, Pool };
    private static readonly int[] Vgg19 = { 64, 64, Pool, 128, 128, Pool, 256, 256, 256, 256, Pool, 512, 512, 512, 512, Pool, 512, 512, 512, 512, Pool };

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Sequential classifier;

    private static int[] Configuration(string name) => name == "vgg19_bn" ? Vgg19 : Vgg16;

    /// <summary>
    /// features.N for each convolution (N counts the modules of <c>features</c>: convolution, batch norm and ReLU take
    /// three, a pool one: features.0, features.3, features.7, ...), then classifier.0 and classifier.3. No two
    /// widths are coupled: each convolution feeds only the next.
    /// </summary>
    public static LayerWidthLayout Layout(ArchitectureSpec spec)
    {
        var layout = new LayerWidthLayout();
        int index = 0;
        foreach (var v in Configuration(spec.Name))
        {
            if (v == Pool) { index++; continue; }
            layout.Add($"features.{index}", v);
            index += 3;
        }
        layout.Add("classifier.0", spec.HiddenSizes[0]);
        layout.Add("classifier.3", spec.HiddenSizes[1]);
        return layout;
    }

    public Vgg(ArchitectureSpec spec) : base("VGG")
    {
        var w = spec.LayerWidths();
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long width = spec.InputChannels;
        foreach (var v in Configuration(spec.Name))
        {
            if (v == Pool)
            {
                layers.Add((layers.Count.ToString(), nn.MaxPool2d(2, 2)));
                continue;
            }
            long output = w[$"features.{layers.Count}"];
            layers.Add((layers.Count.ToString(), nn.Conv2d(width, output, 3, padding: 1)));
            layers.Add((layers.Count.ToString(), nn.BatchNorm2d(output)));
            layers.Add((layers.Count.ToString(), nn.ReLU(inplace: true)));
            width = output;
        }
        features = nn.Sequential(layers);
        avgpool = nn.AdaptiveAvgPool2d(spec.PoolSize);
        long hidden1 = w["classifier.0"], hidden2 = w["classifier.3"];
        classifier = nn.Sequential(
            ("0", nn.Linear(width * spec.PoolSize * spec.PoolSize, hidden1)),
            ("1", nn.ReLU(inplace: true)),
            ("2", nn.Dropout(0.5)),
            ("3", nn.Linear(hidden1, hidden2)),
            ("4", nn.ReLU(inplace: true)),
            ("5", nn.Dropout(0.5)),
            ("6", nn.Linear(hidden2, spec.NumClasses)));
        RegisterComponents();
        TorchVisionInit.Apply(this);
    }

    public override Tensor forward(Tensor input)
    {
        var x = avgpool.call(features.call(input)).flatten(1);
        return classifier.call(x);
    }
}
