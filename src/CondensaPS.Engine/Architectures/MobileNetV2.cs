using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// MobileNetV2 (width multiplier 1) with torchvision's names: <c>features</c> holds the stem (features.0, a 3x3
/// stride-2 convolution, batch norm, ReLU6), seventeen inverted residual blocks (features.1 .. features.17, each a
/// <c>conv</c> sequence: a 1x1 expansion except in the first block, a 3x3 depthwise convolution, a 1x1 projection and
/// batch norm; the input is added back where stride is 1 and the widths match) and a 1x1 convolution to 1280
/// (features.18); then global average pooling and <c>classifier</c> (dropout 0.2, linear).
/// </summary>
internal sealed class MobileNetV2 : nn.Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>One inverted residual block as torchvision lays it out: features.Index, its default widths and whether it adds its input back.</summary>
    private sealed record BlockPlan(int Index, int ExpandRatio, long Stride, int Input, int Output)
    {
        public string Prefix => $"features.{Index}.conv.";
        public bool Expands => ExpandRatio != 1;
        public bool Residual => Stride == 1 && Input == Output;
        public string Expansion => Prefix + "0.0";
        public string Depthwise => Prefix + (Expands ? "1.0" : "0.0");
        public string Projection => Prefix + (Expands ? "2" : "1");
    }

    private const int StemWidth = 32;
    private const int LastWidth = 1280;
    private const string Stem = "features.0.0";
    private const string Last = "features.18.0";

    /// <summary>torchvision's inverted residual setting: expansion t, output c, repeats n, first stride s.</summary>
    private static IEnumerable<BlockPlan> Plan()
    {
        int[][] setting = { new[] { 1, 16, 1, 1 }, new[] { 6, 24, 2, 2 }, new[] { 6, 32, 3, 2 }, new[] { 6, 64, 4, 2 }, new[] { 6, 96, 3, 1 }, new[] { 6, 160, 3, 2 }, new[] { 6, 320, 1, 1 } };
        int input = StemWidth, index = 1;
        foreach (var s in setting)
            for (int i = 0; i < s[2]; i++)
            {
                yield return new BlockPlan(index++, s[0], i == 0 ? s[3] : 1, input, s[1]);
                input = s[1];
            }
    }

    /// <summary>
    /// features.0.0 (the stem), per block features.N.conv.0.0 (the expansion, where there is one), the depthwise
    /// convolution (features.N.conv.1.0, or .conv.0.0 in the first block) and the projection (features.N.conv.2, or
    /// .conv.1), then features.18.0. A depthwise convolution has one filter per input channel, so its width is its
    /// input's; a block that adds its input back ends at its input's width.
    /// </summary>
    public static LayerWidthLayout Layout()
    {
        var layout = new LayerWidthLayout();
        layout.Add(Stem, StemWidth);
        var previous = Stem;
        foreach (var block in Plan())
        {
            var input = previous;
            if (block.Expands)
            {
                layout.Add(block.Expansion, block.Input * block.ExpandRatio);
                input = block.Expansion;
            }
            layout.Add(block.Depthwise, block.Input * block.ExpandRatio);
            layout.Couple(block.Depthwise, input, $"'{block.Depthwise}' is a depthwise convolution, one filter per channel of its input, the output of '{input}'");
            layout.Add(block.Projection, block.Output);
            if (block.Residual)
                layout.Couple(block.Projection, previous, $"features.{block.Index}'s residual connection adds the output of '{block.Projection}' to the block's input, the output of '{previous}'");
            previous = block.Projection;
        }
        layout.Add(Last, LastWidth);
        return layout;
    }

    public MobileNetV2(ArchitectureSpec spec) : base("MobileNetV2")
    {
        var w = spec.LayerWidths();
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("0", ConvNormActivation(spec.InputChannels, w[Stem], 3, 2, 1)),
        };
        long width = w[Stem];
        foreach (var block in Plan())
        {
            var conv = new List<(string, nn.Module<Tensor, Tensor>)>();
            if (block.Expands) conv.Add(("0", ConvNormActivation(width, w[block.Expansion], 1, 1, 1)));
            long hidden = w[block.Depthwise];
            conv.Add((conv.Count.ToString(), ConvNormActivation(hidden, hidden, 3, block.Stride, hidden)));
            long output = w[block.Projection];
            conv.Add((conv.Count.ToString(), nn.Conv2d(hidden, output, 1, bias: false)));
            conv.Add((conv.Count.ToString(), nn.BatchNorm2d(output)));
            layers.Add((block.Index.ToString(), new InvertedResidual(nn.Sequential(conv), block.Residual)));
            width = output;
        }
        layers.Add((layers.Count.ToString(), ConvNormActivation(width, w[Last], 1, 1, 1)));
        features = nn.Sequential(layers);
        classifier = nn.Sequential(("0", nn.Dropout(0.2)), ("1", nn.Linear(w[Last], spec.NumClasses)));
        RegisterComponents();
        TorchVisionInit.Apply(this);
    }

    /// <summary>torchvision's Conv2dNormActivation: convolution without bias ("0"), batch norm ("1"), ReLU6 ("2").</summary>
    private static Sequential ConvNormActivation(long input, long output, long kernel, long stride, long groups) => nn.Sequential(
        ("0", nn.Conv2d(input, output, kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false)),
        ("1", nn.BatchNorm2d(output)),
        ("2", nn.ReLU6(inplace: true)));

    public override Tensor forward(Tensor input)
    {
        var x = nn.functional.adaptive_avg_pool2d(features.call(input), 1).flatten(1);
        return classifier.call(x);
    }

    /// <summary>torchvision's InvertedResidual: <c>conv</c>, plus the input where the block keeps stride and width.</summary>
    internal sealed class InvertedResidual : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential conv;
        private readonly bool residual;

        public InvertedResidual(Sequential conv, bool residual) : base("InvertedResidual")
        {
            this.conv = conv;
            this.residual = residual;
            RegisterComponents();
        }

        /// <summary>Whether the block adds its input to its output.</summary>
        public bool Residual => residual;

        public override Tensor forward(Tensor x) => residual ? x + conv.call(x) : conv.call(x);
    }
}
