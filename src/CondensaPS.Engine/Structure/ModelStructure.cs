namespace CondensaPS.Engine.Structure;

/// <summary>One convolution or linear layer as the structure analysis found it, with its multiply-accumulates per sample.</summary>
public sealed record LayerStructure(string Name, LayerKind Kind, string Weight, long InChannels, long OutChannels, long Groups,
    IReadOnlyList<long> Kernel, IReadOnlyList<long> OutputShape, long Macs, int OutputGroup, string Site)
{
    public override string ToString() => $"{Name} ({Kind}, {InChannels}->{OutChannels}, {Macs:N0} MACs)";
}

/// <summary>
/// A group of coupled channels: the layers that make them (producers), the layers that read them, the tensors that
/// follow them (batch norm, biases, depthwise filters), why they are coupled, and why they cannot be slimmed if so.
/// </summary>
public sealed record ChannelGroup(int Id, long Channels, IReadOnlyList<string> Producers, IReadOnlyList<string> Consumers,
    IReadOnlyList<string> Followers, IReadOnlyList<string> Couplings, IReadOnlyList<string> FixedReasons)
{
    /// <summary>Whether slimming may remove channels of this group: something makes them and nothing holds them fixed.</summary>
    public bool CanSlim => FixedReasons.Count == 0 && Producers.Count > 0;

    public override string ToString() => $"group {Id}: {Channels} channels from {string.Join(", ", Producers)}" +
        (CanSlim ? "" : $" (fixed: {string.Join("; ", FixedReasons)})");
}

/// <summary>
/// What a model is made of for one input size, discovered from its own code: its convolution and linear layers with
/// their multiply-accumulates, and the groups of channels that slimming removes together.
/// </summary>
public sealed class ModelStructure
{
    internal ModelStructure(IReadOnlyList<long> sampleShape, IReadOnlyList<IReadOnlyList<long>> outputShapes, IReadOnlyList<LayerStructure> layers, IReadOnlyList<ChannelGroup> groups, ChannelGraph graph, ScriptProgram program)
    {
        SampleShape = sampleShape;
        OutputShapes = outputShapes;
        Layers = layers;
        Groups = groups;
        Graph = graph;
        Program = program;
    }

    /// <summary>The shape of one input sample the analysis ran with (e.g. 3, 224, 224).</summary>
    public IReadOnlyList<long> SampleShape { get; }
    /// <summary>The shape of each tensor the model returns for one sample (batch dimension dropped).</summary>
    public IReadOnlyList<IReadOnlyList<long>> OutputShapes { get; }
    public IReadOnlyList<LayerStructure> Layers { get; }
    public IReadOnlyList<ChannelGroup> Groups { get; }
    /// <summary>Multiply-accumulates of one sample through every convolution and linear layer.</summary>
    public long Macs => Layers.Sum(l => l.Macs);

    internal ChannelGraph Graph { get; }
    internal ScriptProgram Program { get; }

    public override string ToString() => $"{Layers.Count} layers, {Groups.Count(g => g.CanSlim)} of {Groups.Count} channel groups slimmable, {Macs:N0} MACs at {string.Join("x", SampleShape)}";
}
