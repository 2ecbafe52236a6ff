using System.Globalization;

namespace CondensaPS.Engine.Architectures;

/// <summary>How a factorized layer is split (low-rank factorisation).</summary>
public enum FactorizationKind
{
    /// <summary>
    /// Truncated SVD. A linear layer becomes two (in to r without bias, then r to out); a convolution becomes its
    /// kernel size with r filters, then a 1x1 convolution to the output channels.
    /// </summary>
    Svd,
    /// <summary>Tucker-2 over a convolution's channel modes: 1x1 (in to r1), the kernel (r1 to r2), 1x1 (r2 to out).</summary>
    Tucker2,
}

/// <summary>
/// One layer of a built-in model replaced by thinner ones: the layer's name (its weight is "&lt;layer&gt;.weight"),
/// the kind and the rank(s). The replacement is an nn.Sequential under the layer's name, so its parameters are
/// "&lt;layer&gt;.0.weight", "&lt;layer&gt;.1.weight", ..., as PyTorch names them; the bias stays on the last part.
/// </summary>
public sealed record LayerFactorization(string Layer, FactorizationKind Kind, int Rank, int OutputRank = 0)
{
    /// <summary>"svd:32" or "tucker2:8x12" (input rank x output rank).</summary>
    public string RankText => Kind == FactorizationKind.Tucker2 ? $"tucker2:{Rank}x{OutputRank}" : $"svd:{Rank}";

    public IReadOnlyDictionary<string, object?> ToSettings() => new Dictionary<string, object?>
    {
        ["layer"] = Layer,
        ["kind"] = Kind == FactorizationKind.Tucker2 ? "tucker2" : "svd",
        ["ranks"] = Kind == FactorizationKind.Tucker2 ? new[] { Rank, OutputRank } : new[] { Rank },
    };

    /// <summary>Reads "&lt;layer&gt;=svd:32" or "&lt;layer&gt;=tucker2:8x12" (the form safetensors metadata keeps).</summary>
    public static LayerFactorization Parse(string text)
    {
        var parts = text.Split('=', 2);
        var kindAndRanks = parts.Length == 2 ? parts[1].Split(':', 2) : Array.Empty<string>();
        if (kindAndRanks.Length != 2)
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, $"'{text}' is not a factorization (layer=svd:rank or layer=tucker2:rank x rank).");
        return FromSettings(new Dictionary<string, object?>
        {
            ["layer"] = parts[0],
            ["kind"] = kindAndRanks[0],
            ["ranks"] = kindAndRanks[1].Split('x').Select(r => int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1).Cast<object>().ToList(),
        });
    }

    public override string ToString() => $"{Layer}={RankText}";

    public static LayerFactorization FromSettings(IReadOnlyDictionary<string, object?> settings)
    {
        string layer = settings.TryGetValue("layer", out var l) && l is string s && s.Length > 0 ? s
            : throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, "A factorized layer has no name.");
        var kind = (settings.TryGetValue("kind", out var k) ? k as string : null) switch
        {
            "svd" => FactorizationKind.Svd,
            "tucker2" => FactorizationKind.Tucker2,
            var other => throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, $"Layer '{layer}' has an unknown factorization '{other}'."),
        };
        var ranks = settings.TryGetValue("ranks", out var r) && r is System.Collections.IEnumerable e && r is not string
            ? e.Cast<object>().Select(o => Convert.ToInt32(o, CultureInfo.InvariantCulture)).ToArray()
            : Array.Empty<int>();
        if (ranks.Length != (kind == FactorizationKind.Tucker2 ? 2 : 1) || ranks.Any(x => x < 1))
            throw new EngineException("InvalidArchitectureSetting", EngineErrorKind.InvalidData, $"Layer '{layer}' has ranks [{string.Join(",", ranks)}] for {kind}.");
        return new LayerFactorization(layer, kind, ranks[0], kind == FactorizationKind.Tucker2 ? ranks[1] : 0);
    }
}
