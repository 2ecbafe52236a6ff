namespace CondensaPS.Engine.Strategies;

/// <summary>
/// A strategy file is wrong: its message starts with "file:line:column:" of the offending node, so an editor or a
/// reader can jump to it. Its ErrorIds (Strategy*) are listed with the module's others in docs/errors.md.
/// </summary>
public sealed class StrategyException : EngineException
{
    public StrategyException(string errorId, string file, long line, long column, string message, object? target = null, Exception? inner = null)
        : base(errorId, errorId switch
               {
                   "StrategyNotFound" => EngineErrorKind.ObjectNotFound,
                   "StrategyNotReadable" => EngineErrorKind.ReadError,
                   _ => EngineErrorKind.InvalidData,
               },
               $"{file}:{line}:{column}: {message}", target ?? file, inner)
    {
        File = file;
        Line = line;
        Column = column;
        Detail = message;
    }

    public string File { get; }
    public long Line { get; }
    public long Column { get; }
    /// <summary>The message without its position.</summary>
    public string Detail { get; }
}
