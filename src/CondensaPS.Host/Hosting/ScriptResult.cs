using System.Management.Automation;

namespace CondensaPS.Host.Hosting;

/// <summary>What a hosted script produced: output objects, the error records (copied before the pipeline is
/// disposed), the terminating error if any, the exit code the host returns, and whether Ctrl+C stopped it (which,
/// as in pwsh, is not an error of its own).</summary>
public sealed record ScriptResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    ErrorRecord? TerminatingError,
    int ExitCode,
    bool Stopped = false)
{
    public bool Succeeded => ExitCode == 0;
}
