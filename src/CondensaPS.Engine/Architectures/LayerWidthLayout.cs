namespace CondensaPS.Engine.Architectures;

/// <summary>
/// The layers of a built-in architecture whose output width (filters of a convolution, features of a linear layer)
/// may differ from the architecture's default, keyed by their torchvision module path (<c>layer1.0.conv1</c>,
/// <c>features.3</c>, <c>fc1</c>), in module order, with the default width of each, and the pairs of layers whose
/// widths must be equal (a residual addition adds their outputs; a depthwise convolution keeps its input's width).
/// The classifier's last layer is not listed: its width is the number of classes. A batch norm takes the width of the
/// convolution before it and has no key of its own.
/// </summary>
public sealed class LayerWidthLayout
{
    private readonly List<string> _layers = new();
    private readonly Dictionary<string, int> _defaults = new(StringComparer.Ordinal);
    private readonly List<LayerWidthCoupling> _couplings = new();

    /// <summary>The layers with a width, in module order.</summary>
    public IReadOnlyList<string> Layers => _layers;

    /// <summary>The pairs of layers whose output widths must be equal, and why.</summary>
    public IReadOnlyList<LayerWidthCoupling> Couplings => _couplings;

    public bool Contains(string layer) => _defaults.ContainsKey(layer);

    public int Default(string layer) => _defaults[layer];

    internal void Add(string layer, int width)
    {
        _layers.Add(layer);
        _defaults.Add(layer, width);
    }

    internal void Couple(string layer, string other, string reason) => _couplings.Add(new LayerWidthCoupling(layer, other, reason));

    /// <summary>Every layer's width under <paramref name="overrides"/> (missing layers keep their default), in module order.</summary>
    internal IReadOnlyDictionary<string, int> Resolve(IReadOnlyDictionary<string, int> overrides)
    {
        var widths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in _layers) widths[layer] = overrides.TryGetValue(layer, out var w) ? w : _defaults[layer];
        return widths;
    }

    /// <summary>
    /// Checks <paramref name="overrides"/> against the layout (known layers, positive widths, coupled layers equal)
    /// and returns only the entries that differ from the defaults, in module order.
    /// </summary>
    /// <summary>16 times the widest built-in layer (4,096): a width read from a damaged or hostile file stays buildable.</summary>
    public const int MaxWidth = 65536;

    internal IReadOnlyDictionary<string, int> Normalize(string architecture, IReadOnlyDictionary<string, int> overrides)
    {
        foreach (var (layer, width) in overrides)
        {
            if (!Contains(layer))
                throw new EngineException("UnknownLayerWidth", EngineErrorKind.InvalidArgument,
                    $"{architecture} has no layer '{layer}' with a width of its own; its layers are {Describe()}.", layer);
            if (width <= 0 || width > MaxWidth)
                throw new EngineException("InvalidLayerWidth", EngineErrorKind.InvalidArgument,
                    $"Layer '{layer}' of {architecture} needs a positive width of at most {MaxWidth:N0}, not {width}.", layer);
        }
        var widths = Resolve(overrides);
        foreach (var c in _couplings.Where(c => widths[c.Layer] != widths[c.Other]))
            throw new EngineException("InconsistentLayerWidths", EngineErrorKind.InvalidArgument,
                $"Layer '{c.Layer}' of {architecture} has width {widths[c.Layer]} but '{c.Other}' has {widths[c.Other]}; they must be equal because {c.Reason}.", c.Layer);
        var changed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in _layers.Where(l => widths[l] != _defaults[l])) changed[layer] = widths[layer];
        return changed;
    }

    private string Describe() => _layers.Count <= 6
        ? string.Join(", ", _layers)
        : $"{string.Join(", ", _layers.Take(4))}, ... {_layers[^1]} ({_layers.Count} in all)";
}

/// <summary>Two layers whose output widths must be equal, and why.</summary>
public sealed record LayerWidthCoupling(string Layer, string Other, string Reason);
