using CondensaPS.Engine.Structure;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// What slimming does with one group of coupled channels: which channels it keeps (ascending), and why it keeps more
/// than the ratio asks or leaves the group alone.
/// </summary>
internal sealed class GroupDecision
{
    public GroupDecision(ChannelSpace group, IReadOnlyList<string> producers)
    {
        Group = group;
        Producers = producers;
        Kept = Enumerable.Range(0, (int)group.Size).Select(i => (long)i).ToArray();
    }

    public ChannelSpace Group { get; }
    public IReadOnlyList<string> Producers { get; }
    public long Channels => Group.Size;
    /// <summary>The channels kept, ascending; all of them when the group is left alone.</summary>
    public long[] Kept { get; set; }
    /// <summary>The group may be slimmed (eligible by method, selection and structure).</summary>
    public bool Eligible { get; set; }
    /// <summary>Why the group is left alone, when it is.</summary>
    public string? LeftBecause { get; set; }
    /// <summary>Notes on how many channels were kept: the minimum of one, the per-layer cap, the alignment.</summary>
    public List<string> Notes { get; } = new();
    public double[]? Scores { get; set; }

    public bool IsSlimmed => Kept.Length < Channels;
}
