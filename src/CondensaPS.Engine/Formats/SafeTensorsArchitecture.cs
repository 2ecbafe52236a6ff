using System.Globalization;
using CondensaPS.Engine.Architectures;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// The built-in architecture a safetensors file's weights belong to, kept in its "__metadata__" (string pairs) by
/// Export-Model, so that Import-Model can rebuild the model without -Architecture. Per-layer widths of a slimmed
/// model are one entry, "condensaps.widths": "layer1.0.conv1=40,layer1.0.conv2=64".
/// </summary>
public static class SafeTensorsArchitecture
{
    private const string Prefix = "condensaps.";

    public static void Write(ArchitectureSpec spec, IDictionary<string, string> metadata)
    {
        metadata[Prefix + "architecture"] = spec.Name;
        metadata[Prefix + "num-classes"] = spec.NumClasses.ToString(CultureInfo.InvariantCulture);
        metadata[Prefix + "input-channels"] = spec.InputChannels.ToString(CultureInfo.InvariantCulture);
        metadata[Prefix + "input-size"] = spec.InputSize.ToString(CultureInfo.InvariantCulture);
        if (spec.HiddenSizes.Count > 0)
            metadata[Prefix + "hidden-sizes"] = string.Join(",", spec.HiddenSizes.Select(h => h.ToString(CultureInfo.InvariantCulture)));
        if (spec.PoolSize > 0)
            metadata[Prefix + "pool-size"] = spec.PoolSize.ToString(CultureInfo.InvariantCulture);
        if (spec.Widths.Count > 0)
            metadata[Prefix + "widths"] = string.Join(",", spec.Widths.Select(w => $"{w.Key}={w.Value.ToString(CultureInfo.InvariantCulture)}"));
        if (spec.Factorizations.Count > 0)
            metadata[Prefix + "factorizations"] = string.Join(";", spec.Factorizations);
    }

    /// <summary>The recorded architecture, or null when the file does not record one (e.g. from another tool).</summary>
    public static ArchitectureSpec? Read(string path)
    {
        var metadata = SafeTensorsFile.ReadMetadata(path);
        if (!metadata.TryGetValue(Prefix + "architecture", out var name)) return null;
        int Int(string key) => metadata.TryGetValue(Prefix + key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        int[]? hidden = metadata.TryGetValue(Prefix + "hidden-sizes", out var h)
            ? h.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(x => int.TryParse(x, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray()
            : null;
        Dictionary<string, int>? widths = null;
        if (metadata.TryGetValue(Prefix + "widths", out var text))
        {
            widths = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=');
                widths[parts[0].Trim()] = parts.Length == 2 && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;
            }
        }
        var spec = ArchitectureRegistry.CreateSpec(name, Int("num-classes"), Int("input-channels"), Int("input-size"), hidden, Int("pool-size"), widths);
        if (metadata.TryGetValue(Prefix + "factorizations", out var f) && f.Length > 0)
            spec = spec with { Factorizations = f.Split(';').Select(LayerFactorization.Parse).ToList() };
        return spec;
    }
}
