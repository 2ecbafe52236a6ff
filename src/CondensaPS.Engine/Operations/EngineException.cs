namespace CondensaPS.Engine;

/// <summary>What went wrong, in the categories a cmdlet maps to PowerShell's ErrorCategory.</summary>
public enum EngineErrorKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceExists,
    PermissionDenied,
    NotSupported,
    /// <summary>Something this build or machine lacks (a CUDA backend, a GPU).</summary>
    NotInstalled,
    ResourceUnavailable,
    InvalidOperation,
    WriteError,
    ReadError,
    OperationStopped,
}

/// <summary>
/// An error the engine raises on bad input: a stable <see cref="ErrorId"/> that scripts and tests can match, a
/// kind, and the offending value. Cmdlets turn it into an ErrorRecord without rewording it.
/// </summary>
public class EngineException : Exception
{
    public EngineException(string errorId, EngineErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public EngineErrorKind Kind { get; }
    public object? Target { get; }
}
