using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// The structure interpreter met code it does not understand: the construct (an operator, a statement, a condition
/// on tensor data, ...) and where it is. Nothing is changed when this is thrown.
/// </summary>
internal sealed class StructureNotUnderstoodException : Exception
{
    public StructureNotUnderstoodException(string construct, SourceSpan? where, string detail)
        : base($"{construct}{(where is { } w ? $" at {w}" : "")}: {detail}")
    {
        Construct = construct;
        Where = where;
    }

    public string Construct { get; }
    public SourceSpan? Where { get; }
}
