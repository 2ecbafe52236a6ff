using CondensaPS.Host.Hosting;

namespace CondensaPS.Host.Commands;

/// <summary><c>condensa script.ps1 [arguments]</c>: runs the script as <c>pwsh -File</c> would, output rendered.</summary>
public static class ScriptCommand
{
    public static int Run(HostedSession session, string path, IReadOnlyList<string> arguments) =>
        session.RunFile(path, arguments, render: true).ExitCode;
}
