using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// ResNet-18 and ResNet-50 with torchvision's module and parameter names, so its checkpoints fit. As in torchvision,
/// the activations and the residual sum work in place on the batch-norm outputs (their backward passes do not need
/// them), which saves a tensor and a pass over memory per activation.
/// </summary>
internal sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;

    /// <summary>One residual block: its module path prefix ("layer2.0."), stride, default width and whether it projects.</summary>
    private sealed record BlockPlan(string Prefix, int Stage, long Stride, int Planes, bool Downsample);

    private static bool IsBottleneck(string name) => name == "resnet50";

    /// <summary>torchvision's block layout: stages of 2,2,2,2 basic blocks (ResNet-18) or 3,4,6,3 bottlenecks (ResNet-50).</summary>
    private static IEnumerable<BlockPlan> Plan(string name)
    {
        bool bottleneck = IsBottleneck(name);
        int expansion = bottleneck ? 4 : 1;
        var blocks = bottleneck ? new[] { 3, 4, 6, 3 } : new[] { 2, 2, 2, 2 };
        int inPlanes = 64;
        for (int stage = 0; stage < 4; stage++)
        {
            int planes = 64 << stage;
            for (int i = 0; i < blocks[stage]; i++)
            {
                long stride = i == 0 && stage > 0 ? 2 : 1;
                yield return new BlockPlan($"layer{stage + 1}.{i}.", stage, stride, planes, i == 0 && (stride != 1 || inPlanes != planes * expansion));
                inPlanes = planes * expansion;
            }
        }
    }

    /// <summary>The convolution of a block whose output the residual connection adds: conv2 (basic) or conv3 (bottleneck).</summary>
    private static string LastConvolution(string name, BlockPlan block) => block.Prefix + (IsBottleneck(name) ? "conv3" : "conv2");

    /// <summary>
    /// conv1 (the stem), then per block conv1, conv2 (and conv3) and the projection downsample.0 where torchvision has
    /// one. A block's last convolution has the width of what its residual connection adds it to: its projection, or
    /// the block's input (the previous block's last convolution, or the stem for ResNet-18's layer1.0), so every
    /// block of a stage ends at one width.
    /// </summary>
    public static LayerWidthLayout Layout(string name)
    {
        var layout = new LayerWidthLayout();
        layout.Add("conv1", 64);
        var previous = "conv1";
        foreach (var block in Plan(name))
        {
            layout.Add(block.Prefix + "conv1", block.Planes);
            layout.Add(block.Prefix + "conv2", block.Planes);
            if (IsBottleneck(name)) layout.Add(block.Prefix + "conv3", block.Planes * 4);
            var last = LastConvolution(name, block);
            var blockName = block.Prefix.TrimEnd('.');
            if (block.Downsample)
            {
                layout.Add(block.Prefix + "downsample.0", block.Planes * (IsBottleneck(name) ? 4 : 1));
                layout.Couple(last, block.Prefix + "downsample.0", $"{blockName}'s residual connection adds the output of '{last}' to its projection");
            }
            else
                layout.Couple(last, previous, $"{blockName}'s residual connection adds the output of '{last}' to the block's input, the output of '{previous}'");
            previous = last;
        }
        return layout;
    }

    public ResNet(ArchitectureSpec spec) : base(spec.Name)
    {
        var w = spec.LayerWidths();
        bool bottleneck = IsBottleneck(spec.Name);
        long width = w["conv1"];
        conv1 = nn.Conv2d(spec.InputChannels, width, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(width);
        var stages = new List<(string, nn.Module<Tensor, Tensor>)>[4];
        for (int i = 0; i < 4; i++) stages[i] = new();
        foreach (var block in Plan(spec.Name))
        {
            var p = block.Prefix;
            long output = w[LastConvolution(spec.Name, block)];
            Sequential? downsample = block.Downsample
                ? nn.Sequential(
                    ("0", nn.Conv2d(width, w[p + "downsample.0"], 1, stride: block.Stride, bias: false)),
                    ("1", nn.BatchNorm2d(w[p + "downsample.0"])))
                : null;
            nn.Module<Tensor, Tensor> module = bottleneck
                ? new Bottleneck(width, w[p + "conv1"], w[p + "conv2"], output, block.Stride, downsample)
                : new BasicBlock(width, w[p + "conv1"], output, block.Stride, downsample);
            stages[block.Stage].Add((p.Split('.')[1], module));
            width = output;
        }
        layer1 = nn.Sequential(stages[0]);
        layer2 = nn.Sequential(stages[1]);
        layer3 = nn.Sequential(stages[2]);
        layer4 = nn.Sequential(stages[3]);
        fc = nn.Linear(width, spec.NumClasses);
        RegisterComponents();
        foreach (var (_, m) in named_modules())
        {
            if (m is Conv2d conv) nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    public override Tensor forward(Tensor input)
    {
        var x = bn1.call(conv1.call(input)).relu_();
        x = nn.functional.max_pool2d(x, 3, 2, 1);
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        x = nn.functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return fc.call(x);
    }

    /// <summary>
    /// A block's downsample projection (a 1x1 convolution with stride <paramref name="stride"/>, then batch norm),
    /// computed as the same convolution at stride 1 on every stride-th pixel: the same values, from the same modules
    /// (so names and checkpoints are torchvision's). libtorch 2.10's oneDNN kills the process with SIGFPE (a division
    /// by zero while it plans the kernel) in the backward pass of some strided 1x1 convolutions, among them ResNet-50's
    /// 256-to-1024 and 1024-to-2048 projections, at every input size tried; its stride-1 kernels are fine.
    /// </summary>
    private static Tensor Project(Sequential downsample, long stride, Tensor x)
    {
        var layers = downsample.children().ToList();
        var convolution = (Conv2d)layers[0];
        var norm = (nn.Module<Tensor, Tensor>)layers[1];
        if (stride == 1) return norm.call(convolution.call(x));
        using var scope = NewDisposeScope();
        var sampled = x.slice(2, 0, x.shape[2], stride).slice(3, 0, x.shape[3], stride);
        return norm.call(nn.functional.conv2d(sampled, convolution.weight!)).MoveToOuterDisposeScope();
    }

    internal sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Sequential? downsample;
        private readonly long stride;

        public BasicBlock(long inPlanes, long width, long output, long stride, Sequential? downsample) : base("BasicBlock")
        {
            conv1 = nn.Conv2d(inPlanes, width, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(width);
            conv2 = nn.Conv2d(width, output, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(output);
            this.downsample = downsample;
            this.stride = stride;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var output = bn1.call(conv1.call(x)).relu_();
            output = bn2.call(conv2.call(output));
            var identity = downsample is null ? x : Project(downsample, stride, x);
            return output.add_(identity).relu_();
        }
    }

    internal sealed class Bottleneck : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Sequential? downsample;
        private readonly long stride;

        public Bottleneck(long inPlanes, long width1, long width2, long output, long stride, Sequential? downsample) : base("Bottleneck")
        {
            conv1 = nn.Conv2d(inPlanes, width1, 1, bias: false);
            bn1 = nn.BatchNorm2d(width1);
            conv2 = nn.Conv2d(width1, width2, 3, stride: stride, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(width2);
            conv3 = nn.Conv2d(width2, output, 1, bias: false);
            bn3 = nn.BatchNorm2d(output);
            this.downsample = downsample;
            this.stride = stride;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var output = bn1.call(conv1.call(x)).relu_();
            output = bn2.call(conv2.call(output)).relu_();
            output = bn3.call(conv3.call(output));
            var identity = downsample is null ? x : Project(downsample, stride, x);
            return output.add_(identity).relu_();
        }
    }
}
