namespace CondensaPS.Engine.Structure;

/// <summary>
/// A set of channels that must be kept or removed together: the output channels of one layer, or, once coupled
/// (a residual addition, a depthwise convolution, a shared weight), of several. Spaces merge like a union-find; the
/// root holds the members (every tensor dimension indexed by these channels), why spaces were coupled, and why the
/// group cannot be slimmed, if it cannot.
/// </summary>
internal sealed class ChannelSpace
{
    private ChannelSpace? _parent;

    public ChannelSpace(int id, long size, string origin)
    {
        Id = id;
        Size = size;
        Origin = origin;
    }

    public int Id { get; }
    public long Size { get; }
    /// <summary>Where the space was made ("output of layer1.0.conv1"), for messages.</summary>
    public string Origin { get; }
    public List<SpaceMember> Members { get; } = new();
    /// <summary>Why this group stays as it is (model input or output, an operation that mixes channels, ...).</summary>
    public List<string> FixedReasons { get; } = new();
    /// <summary>Why spaces were merged into this group (residual addition at file:line, depthwise convolution, ...).</summary>
    public List<string> Couplings { get; } = new();

    public bool IsFixed => Root.FixedReasons.Count > 0;

    public ChannelSpace Root
    {
        get
        {
            var s = this;
            while (s._parent is not null) s = s._parent;
            // Path compression.
            var t = this;
            while (t._parent is not null && t._parent != s) { var next = t._parent; t._parent = s; t = next; }
            return s;
        }
    }

    /// <summary>Merges two spaces (of equal size); the root that survives takes the other's members and reasons.</summary>
    public static ChannelSpace Union(ChannelSpace a, ChannelSpace b, string reason)
    {
        var ra = a.Root;
        var rb = b.Root;
        if (ra.Size != rb.Size) throw new InvalidOperationException($"cannot couple {ra.Size} channels with {rb.Size}");
        if (ReferenceEquals(ra, rb)) return ra;
        if (rb.Id < ra.Id) (ra, rb) = (rb, ra);
        rb._parent = ra;
        ra.Members.AddRange(rb.Members);
        ra.FixedReasons.AddRange(rb.FixedReasons);
        ra.Couplings.AddRange(rb.Couplings);
        if (!ra.Couplings.Contains(reason)) ra.Couplings.Add(reason);
        rb.Members.Clear();
        rb.FixedReasons.Clear();
        rb.Couplings.Clear();
        return ra;
    }

    public void Fix(string reason)
    {
        var r = Root;
        if (!r.FixedReasons.Contains(reason)) r.FixedReasons.Add(reason);
    }

    public void Add(SpaceMember member)
    {
        var r = Root;
        if (!r.Members.Contains(member)) r.Members.Add(member);
    }

    public override string ToString() => $"space {Root.Id} ({Size} channels, {Origin})";
}

/// <summary>How a tensor dimension is indexed by a group's channels.</summary>
internal enum MemberRole
{
    /// <summary>Output rows of a convolution or linear layer: the layer makes these channels.</summary>
    Producer,
    /// <summary>Indexed like the channels, one entry each (batch-norm weight, bias, statistics; a bias; a depthwise filter).</summary>
    Follower,
    /// <summary>Input columns of a layer that reads the channels (a block of <see cref="SpaceMember.Block"/> columns per channel, at <see cref="SpaceMember.Offset"/>).</summary>
    Consumer,
}

/// <summary>One tensor dimension that a group's channels index: the tensor's name, the dimension, its role, and for
/// consumers where the group's block starts in that dimension and how many columns each channel has.</summary>
internal sealed record SpaceMember(string Tensor, int Dim, MemberRole Role, string Layer, long Offset = 0, long Block = 1);
