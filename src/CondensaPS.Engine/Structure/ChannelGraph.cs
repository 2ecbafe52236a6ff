namespace CondensaPS.Engine.Structure;

/// <summary>
/// The channel graph the structure interpreter builds while it runs a model's code on an abstract input: channel
/// spaces (made by convolution and linear layers, coupled by additions, depthwise convolutions and shared weights),
/// the tensor dimensions each space indexes, the layers with their multiply-accumulates, and what could not be
/// resolved (those spaces are fixed and their layers stay as they are).
/// </summary>
internal sealed class ChannelGraph
{
    private readonly List<ChannelSpace> _spaces = new();
    private readonly Dictionary<string, ChannelSpace> _producedBy = new(StringComparer.Ordinal);

    public List<LayerNode> Layers { get; } = new();
    public List<NormNode> Norms { get; } = new();

    public ChannelSpace NewSpace(long size, string origin)
    {
        var s = new ChannelSpace(_spaces.Count, size, origin);
        _spaces.Add(s);
        return s;
    }

    /// <summary>The space a weight already produces (a layer called twice), or a new one.</summary>
    public ChannelSpace ProducerSpace(string weight, long size, string origin)
    {
        if (_producedBy.TryGetValue(weight, out var known) && known.Size == size) return known;
        var s = NewSpace(size, origin);
        _producedBy[weight] = s;
        return s;
    }

    /// <summary>The groups: one root per set of coupled spaces, in the order they were made.</summary>
    public IReadOnlyList<ChannelSpace> Groups => _spaces.Where(s => ReferenceEquals(s.Root, s)).ToList();

    public void Fix(ChannelLayout? layout, string reason)
    {
        if (layout is null) return;
        foreach (var s in layout.Spaces) s.Fix(reason);
    }

    /// <summary>
    /// Couples two layouts that must hold the same channels in the same places (the operands of an addition):
    /// segment by segment when they are cut alike; otherwise every space involved is fixed. Returns the layout of the result.
    /// </summary>
    public ChannelLayout Couple(ChannelLayout a, ChannelLayout b, string reason)
    {
        if (a.Segments.Count == b.Segments.Count && a.Segments.Zip(b.Segments).All(p => p.First.Space.Size == p.Second.Space.Size && p.First.Block == p.Second.Block))
        {
            foreach (var (x, y) in a.Segments.Zip(b.Segments)) ChannelSpace.Union(x.Space, y.Space, reason);
            return a;
        }
        Fix(a, $"{reason} joins channels cut differently on each side");
        Fix(b, $"{reason} joins channels cut differently on each side");
        return a;
    }
}
