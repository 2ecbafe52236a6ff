using System.Globalization;

namespace CondensaPS.Engine.Architectures;

/// <summary>
/// A built-in architecture and the settings it was built with: enough to rebuild the same module (the compact
/// format and strategies store this). Parameter names follow torchvision where torchvision has the model.
/// </summary>
public sealed record ArchitectureSpec(string Name, int NumClasses, int InputChannels, int InputSize, IReadOnlyList<int> HiddenSizes)
{
    public override string ToString() => Name switch
    {
        "mlp" => $"mlp({InputChannels}x{InputSize}x{InputSize} -> {string.Join("-", HiddenSizes)} -> {NumClasses})",
        _ => $"{Name}(in={InputChannels}, classes={NumClasses})",
    };

    /// <summary>The settings as strategy/compact-format keys.</summary>
    public IReadOnlyDictionary<string, object?> ToSettings() => new Dictionary<string, object?>
    {
        ["architecture"] = Name,
        ["num-classes"] = NumClasses,
        ["input-channels"] = InputChannels,
        ["input-size"] = InputSize,
        ["hidden-sizes"] = HiddenSizes.ToArray(),
    };

    public static ArchitectureSpec FromSettings(IReadOnlyDictionary<string, object?> settings)
    {
        int Int(string key, int fallback) => settings.TryGetValue(key, out var v) && v != null
            ? Convert.ToInt32(v, CultureInfo.InvariantCulture) : fallback;
        var name = settings.TryGetValue("architecture", out var n) && n is string s ? s : throw new EngineException(
            "ArchitectureMissing", EngineErrorKind.InvalidData, "The settings do not name an architecture.");
        var hidden = settings.TryGetValue("hidden-sizes", out var h) && h is System.Collections.IEnumerable e && h is not string
            ? e.Cast<object>().Select(o => Convert.ToInt32(o, CultureInfo.InvariantCulture)).ToArray()
            : null;
        return ArchitectureRegistry.CreateSpec(name, Int("num-classes", 0), Int("input-channels", 0), Int("input-size", 0), hidden);
    }
}
