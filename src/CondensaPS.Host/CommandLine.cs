using System.Reflection;
using CondensaPS.Host.Commands;
using CondensaPS.Host.Hosting;

namespace CondensaPS.Host;

/// <summary>
/// The `condensa` command line: runs a .ps1 script, or a .yaml strategy, with the CondensaPS module imported. Each
/// mode parses its own arguments (Commands/) and runs in a hosted session where Ctrl+C stops the pipeline.
/// </summary>
public static class CommandLine
{
    public static readonly string Usage = $"""
        condensa - run CondensaPS scripts without pwsh

        Usage:
          condensa <script.ps1> [arguments...]   run a PowerShell script with the CondensaPS module imported
          {StrategyArguments.Usage}
                                                 run a compression strategy on a model (Invoke-CompressionStrategy);
                                                 --data and --validation-data are data set paths (Import-Dataset)
          condensa --help                        show this help
          condensa --version                     show the version

        The module is taken from out/CondensaPS (built by 'dotnet build CondensaPS.sln'), or from the folder or
        manifest named by CONDENSAPS_MODULE_PATH. CONDENSAPS_THREADS sets torch's thread count (default 2).
        Scripts have PowerShell's standard cmdlets (the PowerShell SDK {PowerShellVersion}).
        Ctrl+C stops the running pipeline as in pwsh (a second Ctrl+C ends the process at once).
        Exit code: 0 on success (and after Ctrl+C, as pwsh -File); 1 when the script writes an error or stops on
        one; N for 'exit N'; 2 for bad usage.
        """;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0)
        {
            error.WriteLine(Usage);
            return Task.FromResult(2);
        }
        switch (args[0])
        {
            case "-h" or "--help" or "-?" or "/?":
                output.WriteLine(Usage);
                return Task.FromResult(0);
            case "--version":
                output.WriteLine($"condensa {Version} (PowerShell {PowerShellVersion})");
                return Task.FromResult(0);
        }
        var target = args[0];
        var rest = args.Skip(1).ToArray();
        if (!File.Exists(target))
        {
            error.WriteLine($"condensa: '{target}' does not exist.");
            return Task.FromResult(2);
        }
        try
        {
            return Task.FromResult(Path.GetExtension(target).ToLowerInvariant() switch
            {
                ".ps1" => InSession(output, error, session => ScriptCommand.Run(session, target, rest)),
                ".yaml" or ".yml" => RunStrategy(target, rest, output, error),
                _ => throw new UsageException($"'{target}' is not a .ps1 script or a .yaml strategy."),
            });
        }
        catch (UsageException e)
        {
            error.WriteLine($"condensa: {e.Message}");
            error.WriteLine(Usage);
            return Task.FromResult(2);
        }
    }

    private static int RunStrategy(string path, string[] arguments, TextWriter output, TextWriter error)
    {
        var parsed = StrategyArguments.Parse(path, arguments);
        return InSession(output, error, session => StrategyCommand.Run(session, parsed, output));
    }

    /// <summary>Opens the hosted session with the module imported (or says why not and returns 1), and runs
    /// <paramref name="run"/> in it with Ctrl+C stopping the pipeline instead of the process.</summary>
    private static int InSession(TextWriter output, TextWriter error, Func<HostedSession, int> run)
    {
        HostedSession session;
        try
        {
            session = HostedSession.Open(output: output, error: error, progressBar: IsTerminal());
        }
        catch (Exception e) when (e is ModuleImportException or FileNotFoundException)
        {
            error.WriteLine($"condensa: {e.Message}");
            return 1;
        }
        using (session)
        using (new CtrlCStopsPipeline(session))
            return run(session);
    }

    public static string Version =>
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(CommandLine).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static string PowerShellVersion =>
        typeof(System.Management.Automation.PowerShell).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+', ' ')[0] ?? "";

    private static bool IsTerminal()
    {
        try { return !Console.IsErrorRedirected && !Console.IsOutputRedirected; } catch (IOException) { return false; }
    }
}
