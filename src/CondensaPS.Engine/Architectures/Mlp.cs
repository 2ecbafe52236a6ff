using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>A multi-layer perceptron over flattened inputs: fc1 .. fcN with ReLU between.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> _layers = new();

    public Mlp(ArchitectureSpec spec) : base("mlp")
    {
        long inFeatures = (long)spec.InputChannels * spec.InputSize * spec.InputSize;
        var sizes = spec.HiddenSizes.Select(h => (long)h).Append(spec.NumClasses).ToArray();
        for (int i = 0; i < sizes.Length; i++)
        {
            var layer = nn.Linear(i == 0 ? inFeatures : sizes[i - 1], sizes[i]);
            register_module($"fc{i + 1}", layer);
            _layers.Add(layer);
        }
    }

    public override Tensor forward(Tensor input)
    {
        var x = input.flatten(1);
        for (int i = 0; i < _layers.Count; i++)
        {
            x = _layers[i].call(x);
            if (i < _layers.Count - 1) x = nn.functional.relu(x);
        }
        return x;
    }
}
