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
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;

    public LeNet5(ArchitectureSpec spec) : base("lenet5")
    {
        conv1 = nn.Conv2d(spec.InputChannels, 6, 5, padding: 2);
        conv2 = nn.Conv2d(6, 16, 5);
        long side = ((spec.InputSize / 2) - 4) / 2;
        fc1 = nn.Linear(16 * side * side, 120);
        fc2 = nn.Linear(120, 84);
        fc3 = nn.Linear(84, spec.NumClasses);
        RegisterComponents();
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
