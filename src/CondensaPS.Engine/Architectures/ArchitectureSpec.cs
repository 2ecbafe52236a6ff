using System.Globalization;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// A built-in architecture and the settings it was built with: enough to rebuild the same module (the compact
/// format, SafeTensors metadata and TorchScript exports store this). Parameter names follow torchvision where
/// torchvision has the model. Make one with <see cref="ArchitectureRegistry.CreateSpec"/>; a slimmed model's
/// narrower layers come from <see cref="WithWidths"/>.
/// </summary>
public sealed record ArchitectureSpec(string Name, int NumClasses, int InputChannels, int InputSize, IReadOnlyList<int> HiddenSizes)
{
    private static readonly IReadOnlyDictionary<string, int> NoWidths = new Dictionary<string, int>();

    /// <summary>
    /// The layers whose output width differs from the architecture's default, by torchvision module path, in module
    /// order (see <see cref="LayerWidthLayout"/> for the keys); empty for the default widths. Validated: only
    /// <see cref="ArchitectureRegistry.CreateSpec"/> and <see cref="WithWidths"/> set it.
    /// </summary>
    public IReadOnlyDictionary<string, int> Widths { get; private init; } = NoWidths;

    /// <summary>VGG only: the side of the adaptive average pool before the classifier (torchvision: 7); 0 elsewhere.</summary>
    public int PoolSize { get; init; }

    /// <summary>Layers replaced by low-rank factors (the factorize step), in the order they were factorized.</summary>
    public IReadOnlyList<LayerFactorization> Factorizations { get; init; } = Array.Empty<LayerFactorization>();

    /// <summary>The factorization of a layer, or null.</summary>
    public LayerFactorization? FactorizationOf(string layer) => Factorizations.FirstOrDefault(f => f.Layer == layer);

    /// <summary>Value equality, lists and widths included (the compact format and strategies compare rebuilt specs).</summary>
    public bool Equals(ArchitectureSpec? other) =>
        other is not null && Name == other.Name && NumClasses == other.NumClasses && InputChannels == other.InputChannels &&
        InputSize == other.InputSize && PoolSize == other.PoolSize && HiddenSizes.SequenceEqual(other.HiddenSizes) &&
        Widths.OrderBy(w => w.Key, StringComparer.Ordinal).SequenceEqual(other.Widths.OrderBy(w => w.Key, StringComparer.Ordinal)) &&
        Factorizations.SequenceEqual(other.Factorizations);

    public override int GetHashCode() => HashCode.Combine(Name, NumClasses, InputChannels, InputSize, PoolSize, HiddenSizes.Count, Widths.Count, Factorizations.Count);

    /// <summary>The layers that have a width of their own, their defaults and their couplings.</summary>
    public LayerWidthLayout Layout() => ArchitectureRegistry.Layout(this);

    /// <summary>Every layer's output width (defaults where <see cref="Widths"/> has none), in module order.</summary>
    public IReadOnlyDictionary<string, int> LayerWidths() => Layout().Resolve(Widths);

    /// <summary>
    /// The same architecture with these layers' output widths (by module path; layers not named keep their current
    /// width). Throws UnknownLayerWidth, InvalidLayerWidth or InconsistentLayerWidths (naming the layer) when a key
    /// is not a layer of the architecture, a width is not positive, or coupled layers would differ.
    /// </summary>
    public ArchitectureSpec WithWidths(IReadOnlyDictionary<string, int> widths)
    {
        var merged = new Dictionary<string, int>(Widths, StringComparer.Ordinal);
        foreach (var (layer, width) in widths) merged[layer] = width;
        return this with { Widths = Layout().Normalize(Name, merged) };
    }

    /// <summary>The spec with widths checked and reduced to those that differ from the defaults.</summary>
    internal ArchitectureSpec WithNormalizedWidths(IReadOnlyDictionary<string, int>? widths) =>
        this with { Widths = widths is { Count: > 0 } ? Layout().Normalize(Name, widths) : NoWidths };

    public override string ToString()
    {
        var text = Name switch
        {
            "mlp" => $"mlp({InputChannels}x{InputSize}x{InputSize} -> {string.Join("-", HiddenSizes)} -> {NumClasses})",
            "vgg16_bn" or "vgg19_bn" => $"{Name}(in={InputChannels}, classes={NumClasses}, pool={PoolSize}, classifier={string.Join("-", HiddenSizes)})",
            _ => $"{Name}(in={InputChannels}, classes={NumClasses})",
        };
        if (Widths.Count > 0) text = $"{text} with {Widths.Count} narrowed layer(s)";
        return Factorizations.Count == 0 ? text : $"{text}, factorized {string.Join(", ", Factorizations)}";
    }

    /// <summary>The settings as strategy/compact-format keys ("widths" maps module paths to widths).</summary>
    public IReadOnlyDictionary<string, object?> ToSettings()
    {
        var settings = new Dictionary<string, object?>
        {
            ["architecture"] = Name,
            ["num-classes"] = NumClasses,
            ["input-channels"] = InputChannels,
            ["input-size"] = InputSize,
            ["hidden-sizes"] = HiddenSizes.ToArray(),
        };
        if (PoolSize > 0) settings["pool-size"] = PoolSize;
        if (Widths.Count > 0) settings["widths"] = new Dictionary<string, int>(Widths, StringComparer.Ordinal);
        if (Factorizations.Count > 0) settings["factorizations"] = Factorizations.Select(f => f.ToSettings()).ToArray();
        return settings;
    }

    public static ArchitectureSpec FromSettings(IReadOnlyDictionary<string, object?> settings)
    {
        int Int(string key, int fallback)
        {
            if (!settings.TryGetValue(key, out var v) || v == null) return fallback;
            try { return Convert.ToInt32(v, CultureInfo.InvariantCulture); }
            catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
            {
                throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidArgument, $"Architecture setting '{key}' is '{v}', not a whole number.", key, e);
            }
        }
        var name = settings.TryGetValue("architecture", out var n) && n is string s ? s : throw new EngineException(
            "ArchitectureMissing", EngineErrorKind.InvalidData, "The settings do not name an architecture.");
        var hidden = settings.TryGetValue("hidden-sizes", out var h) && h is System.Collections.IEnumerable e && h is not string
            ? e.Cast<object>().Select(o => o is int or long or double or string && int.TryParse(Convert.ToString(o, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) ? x : -1).ToArray()
            : null;
        Dictionary<string, int>? widths = null;
        if (settings.TryGetValue("widths", out var w) && w is System.Collections.IDictionary map)
        {
            widths = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (System.Collections.DictionaryEntry entry in map)
                widths[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)!] = Convert.ToInt32(entry.Value, CultureInfo.InvariantCulture);
        }
        var spec = ArchitectureRegistry.CreateSpec(name, Int("num-classes", 0), Int("input-channels", 0), Int("input-size", 0), hidden,
            Int("pool-size", 0), widths);
        if (settings.TryGetValue("factorizations", out var f) && f is System.Collections.IEnumerable list && f is not string)
            spec = spec with
            {
                Factorizations = list.Cast<object>().Select(o => LayerFactorization.FromSettings(o as IReadOnlyDictionary<string, object?>
                    ?? throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, "A factorization is not a set of settings."))).ToList(),
            };
        return spec;
    }
}
