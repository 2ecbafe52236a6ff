using System.Globalization;

/// <summary>
/// One attempt at the smallest faithful model: a reference trained on the digits, pruned in stages (each stage one
/// prune step per entry, then a recovery), weight-shared (one cluster step per entry), its centroids fine-tuned, and
/// written without its history. Stages read "global=0.9" (global magnitude over every conv/linear weight) or
/// "conv1.weight=0.4;fc1.weight=0.98" (each layer to its own ratio); clusters read "conv*.weight=4;fc*=3".
/// </summary>
internal sealed record Recipe(string Name, string Architecture, string Stages, string Clusters)
{
    public int InputSize { get; init; } = 28;
    public int ReferenceEpochs { get; init; } = 15;
    public double ReferenceRate { get; init; } = 0.01;
    public int RecoveryEpochs { get; init; } = 3;
    public double RecoveryRate { get; init; } = 0.01;
    public int ClusterEpochs { get; init; } = 3;
    public double ClusterRate { get; init; } = 0.001;
    public string Loss { get; init; } = "label-preserving";
    public string Initialization { get; init; } = "linear";
    /// <summary>Stores everything not clustered (batch-norm parameters and statistics) as float16 first.</summary>
    public bool Float16Rest { get; init; }

    public IReadOnlyList<IReadOnlyList<(string Pattern, double Ratio)>> StageList =>
        Stages.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(stage => (IReadOnlyList<(string, double)>)Pairs(stage).Select(p => (p.Key, double.Parse(p.Value, CultureInfo.InvariantCulture))).ToList())
            .ToList();

    public IReadOnlyList<(string Pattern, int Bits)> ClusterList =>
        Pairs(Clusters).Select(p => (p.Key, int.Parse(p.Value, CultureInfo.InvariantCulture))).ToList();

    private static IEnumerable<KeyValuePair<string, string>> Pairs(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(p[0].Trim(), p[1].Trim()));

    public override string ToString() =>
        $"{Name}: {Architecture}, stages [{Stages}] ({RecoveryEpochs} epochs at {RecoveryRate} each, {Loss}), clusters [{Clusters}] ({Initialization}; {ClusterEpochs} epochs at {ClusterRate}){(Float16Rest ? ", the rest float16" : "")}";
}
