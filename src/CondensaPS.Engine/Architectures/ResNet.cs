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

    public static ResNet ResNet18(ArchitectureSpec spec) => new("resnet18", spec, bottleneck: false, new[] { 2, 2, 2, 2 });
    public static ResNet ResNet50(ArchitectureSpec spec) => new("resnet50", spec, bottleneck: true, new[] { 3, 4, 6, 3 });

    private ResNet(string name, ArchitectureSpec spec, bool bottleneck, int[] blocks) : base(name)
    {
        int expansion = bottleneck ? 4 : 1;
        long inPlanes = 64;
        conv1 = nn.Conv2d(spec.InputChannels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = nn.BatchNorm2d(64);
        Sequential MakeLayer(long planes, int count, long stride)
        {
            var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int i = 0; i < count; i++)
            {
                long s = i == 0 ? stride : 1;
                Sequential? downsample = null;
                if (i == 0 && (s != 1 || inPlanes != planes * expansion))
                    downsample = nn.Sequential(
                        ("0", nn.Conv2d(inPlanes, planes * expansion, 1, stride: s, bias: false)),
                        ("1", nn.BatchNorm2d(planes * expansion)));
                modules.Add((i.ToString(), bottleneck
                    ? new Bottleneck(inPlanes, planes, s, downsample)
                    : new BasicBlock(inPlanes, planes, s, downsample)));
                inPlanes = planes * expansion;
            }
            return nn.Sequential(modules);
        }
        layer1 = MakeLayer(64, blocks[0], 1);
        layer2 = MakeLayer(128, blocks[1], 2);
        layer3 = MakeLayer(256, blocks[2], 2);
        layer4 = MakeLayer(512, blocks[3], 2);
        fc = nn.Linear(512 * expansion, spec.NumClasses);
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

    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Sequential? downsample;
        private readonly long stride;

        public BasicBlock(long inPlanes, long planes, long stride, Sequential? downsample) : base("BasicBlock")
        {
            conv1 = nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
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

    private sealed class Bottleneck : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Sequential? downsample;
        private readonly long stride;

        public Bottleneck(long inPlanes, long planes, long stride, Sequential? downsample) : base("Bottleneck")
        {
            conv1 = nn.Conv2d(inPlanes, planes, 1, bias: false);
            bn1 = nn.BatchNorm2d(planes);
            conv2 = nn.Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(planes);
            conv3 = nn.Conv2d(planes, planes * 4, 1, bias: false);
            bn3 = nn.BatchNorm2d(planes * 4);
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
