using System.Management.Automation;

namespace CondensaPS.Host.Hosting;

/// <summary>What a hosted script produced: output objects, the error records (copied before the pipeline is
/// disposed), the terminating error if any, and the exit code the host returns.</summary>
public sealed record ScriptResult(
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    ErrorRecord? TerminatingError,
    int ExitCode)
{
    public bool Succeeded => ExitCode == 0;
}
