using System.Reflection;
using CondensaPS.Host.Hosting;

namespace CondensaPS.Host;

/// <summary>The `condensa` command line: runs a .ps1 script with the CondensaPS module imported.</summary>
public static class CommandLine
{
    public const string Usage = """
        condensa - run CondensaPS scripts without pwsh

        Usage:
          condensa <script.ps1> [arguments...]   run a PowerShell script with the CondensaPS module imported
          condensa --help                        show this help
          condensa --version                     show the version

        The module is taken from out/CondensaPS (built by 'dotnet build CondensaPS.sln'), or from the folder or
        manifest named by CONDENSAPS_MODULE_PATH. CONDENSAPS_THREADS sets torch's thread count (default 2).
        Exit code: 0 on success; 1 when the script writes an error or stops on one; N for 'exit N'; 2 for bad usage.
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
                output.WriteLine($"condensa {Version}");
                return Task.FromResult(0);
        }
        var target = args[0];
        if (!File.Exists(target))
        {
            error.WriteLine($"condensa: '{target}' does not exist.");
            return Task.FromResult(2);
        }
        var extension = Path.GetExtension(target).ToLowerInvariant();
        if (extension != ".ps1")
        {
            error.WriteLine($"condensa: '{target}' is not a .ps1 script.");
            return Task.FromResult(2);
        }
        return Task.FromResult(RunScript(target, args.Skip(1).ToArray(), output, error));
    }

    private static int RunScript(string path, string[] arguments, TextWriter output, TextWriter error)
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
        {
            var result = session.RunFile(path, arguments, render: true);
            return result.ExitCode;
        }
    }

    public static string Version =>
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(CommandLine).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static bool IsTerminal()
    {
        try { return !Console.IsErrorRedirected; } catch (IOException) { return false; }
    }
}
