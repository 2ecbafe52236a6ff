using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// A YAML parser that remembers where it was: the last event and the flow collections ('{', '[') still open. Some
/// malformed files make YamlDotNet throw a bare InvalidOperationException or ArgumentException without a position
/// (a flow mapping whose plain scalar runs on into block lines; an alias where no node may stand); with this, the
/// error still names the line and column.
/// </summary>
internal sealed class TrackingParser : IParser
{
    private readonly IParser _inner;
    private readonly Stack<ParsingEvent> _open = new();

    public TrackingParser(IParser inner) => _inner = inner;

    public ParsingEvent? Current => _inner.Current;

    /// <summary>The last event read, and the one before it, if any.</summary>
    public ParsingEvent? Last { get; private set; }
    public ParsingEvent? Previous { get; private set; }

    /// <summary>The innermost flow collection ('{' or '[') opened and not yet closed, if any.</summary>
    public ParsingEvent? OpenFlow =>
        _open.FirstOrDefault(e => e is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow });

    public bool MoveNext()
    {
        if (!_inner.MoveNext()) return false;
        var e = _inner.Current!;
        Previous = Last;
        Last = e;
        if (e is MappingStart or SequenceStart) _open.Push(e);
        else if (e is MappingEnd or SequenceEnd && _open.Count > 0) _open.Pop();
        return true;
    }

    /// <summary>What to tell the user when YamlDotNet failed without a position, and where.</summary>
    public (Mark Mark, string Message) Describe(Exception e)
    {
        if (OpenFlow is { } open)
        {
            var bracket = open is MappingStart ? "'{'" : "'['";
            var closer = open is MappingStart ? "'}'" : "']'";
            return (open.Start, $"the {bracket} opened here is not closed by a {closer} before the text that follows it");
        }
        // An alias the representation model cannot place fails on the event after it.
        if ((Last as AnchorAlias ?? Previous as AnchorAlias) is { } alias)
            return (alias.Start, $"the alias '*{alias.Value}' stands where no value may ({e.Message})");
        var at = Last?.End ?? Mark.Empty;
        return (at, $"YamlDotNet could not read on from here ({e.Message})");
    }
}
