using System.Reflection;
using CondensaPS.Host.Hosting;

namespace CondensaPS.Host;

/// <summary>The `condensa` command line: runs a .ps1 script, or a .yaml strategy, with the CondensaPS module imported.</summary>
public static class CommandLine
{
    public const string Usage = """
        condensa - run CondensaPS scripts without pwsh

        Usage:
          condensa <script.ps1> [arguments...]   run a PowerShell script with the CondensaPS module imported
          condensa <strategy.yaml> --model <file> [--architecture <name>] [--set name=value]... [--output <file> [--force]]
                                                 run a compression strategy on a model (Invoke-CompressionStrategy)
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
        if (extension is ".yaml" or ".yml")
            return Task.FromResult(RunStrategy(target, args.Skip(1).ToArray(), output, error));
        if (extension != ".ps1")
        {
            error.WriteLine($"condensa: '{target}' is not a .ps1 script or a .yaml strategy.");
            return Task.FromResult(2);
        }
        return Task.FromResult(RunScript(target, args.Skip(1).ToArray(), output, error));
    }

    /// <summary>Runs Invoke-CompressionStrategy in the hosted session (and Export-Model with --output).</summary>
    private static int RunStrategy(string path, string[] arguments, TextWriter output, TextWriter error)
    {
        string? model = null, architecture = null, outputPath = null;
        bool force = false;
        var parameters = new System.Collections.Hashtable(StringComparer.Ordinal);
        for (int i = 0; i < arguments.Length; i++)
        {
            string Next()
            {
                if (i + 1 >= arguments.Length) throw new ArgumentException($"{arguments[i]} needs a value.");
                return arguments[++i];
            }
            try
            {
                switch (arguments[i])
                {
                    case "--model" or "-m": model = Next(); break;
                    case "--architecture" or "-a": architecture = Next(); break;
                    case "--output" or "-o": outputPath = Next(); break;
                    case "--force": force = true; break;
                    case "--set":
                        var pair = Next();
                        int eq = pair.IndexOf('=');
                        if (eq <= 0) throw new ArgumentException($"--set takes name=value, not '{pair}'.");
                        parameters[pair[..eq]] = pair[(eq + 1)..];
                        break;
                    default: throw new ArgumentException($"unknown option '{arguments[i]}' for a strategy.");
                }
            }
            catch (ArgumentException e)
            {
                error.WriteLine($"condensa: {e.Message}");
                error.WriteLine(Usage);
                return 2;
            }
        }
        if (model is null)
        {
            error.WriteLine("condensa: a strategy needs the model to compress: --model <file>.");
            return 2;
        }
        if (OpenSession(output, error) is not { } session) return 1;
        using (session)
        {
            var variables = new Dictionary<string, object?>
            {
                ["CondensaStrategy"] = Path.GetFullPath(path),
                ["CondensaModel"] = Path.GetFullPath(model),
                ["CondensaArchitecture"] = architecture,
                ["CondensaParameters"] = parameters,
                ["CondensaOutput"] = outputPath is null ? null : Path.GetFullPath(outputPath),
                ["CondensaForce"] = force,
            };
            const string script = """
                $splat = @{ Path = $CondensaStrategy; Model = $CondensaModel; Parameters = $CondensaParameters; ErrorAction = 'Stop' }
                if ($CondensaArchitecture) { $splat.Architecture = $CondensaArchitecture }
                $result = Invoke-CompressionStrategy @splat
                foreach ($step in $result.History) {
                    Write-Host ('{0}  ({1:N2} s, sparsity {2:P1}, {3})' -f $step, $step.Elapsed.TotalSeconds, $step.After.Sparsity, $step.After.DType)
                }
                if ($CondensaOutput) {
                    $result | Export-Model -Path $CondensaOutput -Force:$CondensaForce -ErrorAction Stop
                    Write-Host "Wrote $CondensaOutput"
                }
                $result
                """;
            return session.RunText(script, render: true, variables).ExitCode;
        }
    }

    private static int RunScript(string path, string[] arguments, TextWriter output, TextWriter error)
    {
        if (OpenSession(output, error) is not { } session) return 1;
        using (session)
        {
            var result = session.RunFile(path, arguments, render: true);
            return result.ExitCode;
        }
    }

    /// <summary>Opens the hosted session with the module imported, or says why not (and returns null).</summary>
    private static HostedSession? OpenSession(TextWriter output, TextWriter error)
    {
        try
        {
            return HostedSession.Open(output: output, error: error, progressBar: IsTerminal());
        }
        catch (Exception e) when (e is ModuleImportException or FileNotFoundException)
        {
            error.WriteLine($"condensa: {e.Message}");
            return null;
        }
    }

    public static string Version =>
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(CommandLine).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    private static bool IsTerminal()
    {
        try { return !Console.IsErrorRedirected && !Console.IsOutputRedirected; } catch (IOException) { return false; }
    }
}
