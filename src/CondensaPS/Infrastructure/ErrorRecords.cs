using System.Management.Automation;
using CondensaPS.Engine;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Turns engine exceptions into ErrorRecords with their stable ErrorId and the matching category. Every ErrorId the
/// module raises is listed, with its category and meaning, in module/en-US/about_CondensaPS_Errors.help.txt.
/// </summary>
internal static class ErrorRecords
{
    public static ErrorCategory Category(EngineErrorKind kind) => kind switch
    {
        EngineErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        EngineErrorKind.InvalidData => ErrorCategory.InvalidData,
        EngineErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        EngineErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        EngineErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        EngineErrorKind.NotSupported => ErrorCategory.NotImplemented,
        EngineErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        EngineErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        EngineErrorKind.WriteError => ErrorCategory.WriteError,
        EngineErrorKind.ReadError => ErrorCategory.ReadError,
        EngineErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        _ => ErrorCategory.InvalidOperation,
    };

    public static ErrorRecord From(EngineException e) =>
        new(e, e.ErrorId, Category(e.Kind), e.Target);
}
