using CondensaPS.Engine.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Records the outputs of a built-in model's convolution and linear layers during its forward passes (forward hooks
/// on those modules, removed on dispose), so that a student's layers can be matched to its teacher's. The outputs of
/// the last forward pass are kept until <see cref="Clear"/>; they live in the dispose scope that pass ran in.
/// TorchScript models run their submodules inside the TorchScript interpreter, where hooks do not fire, so they
/// have no taps.
/// </summary>
internal sealed class FeatureTaps : IDisposable
{
    private readonly List<Action> _removers = new();
    private readonly Tensor?[] _outputs;

    private FeatureTaps(CompressionModel model, IReadOnlyList<string> layers)
    {
        Layers = layers;
        _outputs = new Tensor?[layers.Count];
        var modules = model.Module.named_modules().ToDictionary(m => m.name, m => m.module);
        for (int i = 0; i < layers.Count; i++)
        {
            int slot = i;
            switch (modules[layers[i]])
            {
                case Conv2d conv:
                    var convRemover = conv.register_forward_hook((_, _, output) => Record(slot, output));
                    _removers.Add(convRemover.remove);
                    break;
                case Linear linear:
                    var linearRemover = linear.register_forward_hook((_, _, output) => Record(slot, output));
                    _removers.Add(linearRemover.remove);
                    break;
            }
        }
    }

    /// <summary>The tapped layers' names, in the model's module order.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Whether the next forward passes record (off: the hooks pass outputs through untouched).</summary>
    public bool Recording { get; set; }

    /// <summary>The outputs of the last forward pass, one per layer (null where a layer did not run).</summary>
    public IReadOnlyList<Tensor?> Outputs => _outputs;

    /// <summary>
    /// The convolution and linear layers of a built-in model (those with weights pruning can mask), or the reason
    /// there are none: TorchScript models cannot be tapped.
    /// </summary>
    public static IReadOnlyList<string> TappableLayers(CompressionModel model, out string? whyNot)
    {
        whyNot = null;
        if (model.IsTorchScript)
        {
            whyNot = $"model '{model.Name}' is TorchScript, whose layers run inside the TorchScript interpreter and cannot be tapped; feature matching needs a built-in architecture (New-Model).";
            return Array.Empty<string>();
        }
        var layers = model.Module.named_modules().Where(m => m.module is Conv2d or Linear).Select(m => m.name).ToList();
        if (layers.Count == 0) whyNot = $"model '{model.Name}' has no convolution or linear layer to match.";
        return layers;
    }

    /// <summary>Taps on <paramref name="layers"/> of <paramref name="model"/> (names from <see cref="TappableLayers"/>).</summary>
    public static FeatureTaps On(CompressionModel model, IReadOnlyList<string> layers) => new(model, layers);

    public void Clear() => Array.Clear(_outputs);

    private Tensor Record(int slot, Tensor output)
    {
        if (Recording) _outputs[slot] = output;
        return output;
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
        Clear();
    }
}
