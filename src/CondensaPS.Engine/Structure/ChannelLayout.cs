namespace CondensaPS.Engine.Structure;

/// <summary>One run of channels in a tensor's channel dimension: a space's channels in order, each repeated
/// <see cref="Block"/> times in a row (a flattened feature map has one block of H x W features per channel).</summary>
internal sealed record LayoutSegment(ChannelSpace Space, long Block)
{
    public long Length => Space.Size * Block;
}

/// <summary>
/// What dimension 1 of a tensor is made of: one segment for most tensors, several after a concatenation along it.
/// </summary>
internal sealed class ChannelLayout
{
    public ChannelLayout(IReadOnlyList<LayoutSegment> segments) => Segments = segments;

    public static ChannelLayout Of(ChannelSpace space) => new(new[] { new LayoutSegment(space, 1) });

    public IReadOnlyList<LayoutSegment> Segments { get; }
    public long Length => Segments.Sum(s => s.Length);
    public bool IsSingle => Segments.Count == 1 && Segments[0].Block == 1;
    public IEnumerable<ChannelSpace> Spaces => Segments.Select(s => s.Space);

    /// <summary>The layout with each block scaled (flattening H x W into the channel dimension multiplies by H x W).</summary>
    public ChannelLayout? Scale(long numerator, long denominator)
    {
        var scaled = new List<LayoutSegment>();
        foreach (var s in Segments)
        {
            long n = s.Block * numerator;
            if (n % denominator != 0) return null;
            scaled.Add(s with { Block = n / denominator });
        }
        return new ChannelLayout(scaled);
    }

    public override string ToString() => string.Join(" + ", Segments.Select(s => s.Block == 1 ? $"[{s.Space.Root.Id}:{s.Space.Size}]" : $"[{s.Space.Root.Id}:{s.Space.Size}x{s.Block}]"));
}
