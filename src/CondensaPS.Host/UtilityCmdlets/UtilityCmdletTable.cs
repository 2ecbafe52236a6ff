using System.Management.Automation.Runspaces;

namespace CondensaPS.Host.UtilityCmdlets;

/// <summary>
/// The Microsoft.PowerShell.Utility and Management cmdlets that scripts commonly use and the hosted engine lacks
/// (it has only Microsoft.PowerShell.Core). Under pwsh the real ones are used instead.
/// </summary>
public static class UtilityCmdletTable
{
    public static IEnumerable<SessionStateCmdletEntry> Entries { get; } = new[]
    {
        new SessionStateCmdletEntry("Write-Host", typeof(WriteHostCommand), null),
        new SessionStateCmdletEntry("Write-Output", typeof(WriteOutputCommand), null),
        new SessionStateCmdletEntry("Write-Verbose", typeof(WriteVerboseCommand), null),
        new SessionStateCmdletEntry("Write-Warning", typeof(WriteWarningCommand), null),
        new SessionStateCmdletEntry("Write-Error", typeof(WriteErrorCommand), null),
        new SessionStateCmdletEntry("Write-Progress", typeof(WriteProgressCommand), null),
        new SessionStateCmdletEntry("Join-Path", typeof(JoinPathCommand), null),
        new SessionStateCmdletEntry("Test-Path", typeof(TestPathCommand), null),
        new SessionStateCmdletEntry("Split-Path", typeof(SplitPathCommand), null),
    };
}
