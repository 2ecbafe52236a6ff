using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Architectures;

/// <summary>A multi-layer perceptron over flattened inputs: fc1 .. fcN with ReLU between.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> _layers = new();

    public Mlp(ArchitectureSpec spec) : base("mlp")
    {
        long inFeatures = (long)spec.InputChannels * spec.InputSize * spec.InputSize;
        var widths = spec.LayerWidths();
        var sizes = Enumerable.Range(1, spec.HiddenSizes.Count).Select(i => (long)widths[$"fc{i}"]).Append(spec.NumClasses).ToArray();
        FactorizableLayers.RequireKnown(spec, Enumerable.Range(1, sizes.Length).Select(i => $"fc{i}"));
        for (int i = 0; i < sizes.Length; i++)
        {
            var layer = FactorizableLayers.Linear(spec, $"fc{i + 1}", i == 0 ? inFeatures : sizes[i - 1], sizes[i]);
            register_module($"fc{i + 1}", layer);
            _layers.Add(layer);
        }
    }

    /// <summary>fc1 .. fc(N-1), the hidden layers; the last one's width is the number of classes.</summary>
    public static LayerWidthLayout Layout(ArchitectureSpec spec)
    {
        var layout = new LayerWidthLayout();
        for (int i = 0; i < spec.HiddenSizes.Count; i++) layout.Add($"fc{i + 1}", spec.HiddenSizes[i]);
        return layout;
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
