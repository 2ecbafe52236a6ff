using System.Reflection;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// How to start the `condensa` host for a worker: an executable, or <c>dotnet condensa.dll</c>. Found, in this order,
/// from <see cref="EnvironmentVariable"/> (a path to condensa or condensa.dll); from this process when it is the host;
/// from the file <see cref="PointerFile"/> that the host's build writes into the module folder; from condensa on the
/// PATH. Otherwise WorkerHostNotFound says how to provide one.
/// </summary>
public sealed record WorkerHost(string FileName, IReadOnlyList<string> LeadingArguments)
{
    public const string EnvironmentVariable = "CONDENSAPS_HOST";
    public const string PointerFile = "condensa.host";

    /// <summary>The full command line for <paramref name="arguments"/>.</summary>
    public IReadOnlyList<string> Command(IEnumerable<string> arguments) => new[] { FileName }.Concat(LeadingArguments).Concat(arguments).ToList();

    public override string ToString() => string.Join(" ", new[] { FileName }.Concat(LeadingArguments));

    public static WorkerHost Locate(string? moduleFolder)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return FromPath(fromEnvironment) ?? throw NotFound($"{EnvironmentVariable} is '{fromEnvironment}', which is not a condensa executable or condensa.dll.");

        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "condensa") return new WorkerHost(process, Array.Empty<string>());
        if (Assembly.GetEntryAssembly() is { } entry && entry.GetName().Name == "condensa" && File.Exists(entry.Location) && process is not null)
            return new WorkerHost(process, new[] { entry.Location });

        if (moduleFolder is not null && Path.Combine(moduleFolder, PointerFile) is var pointer && File.Exists(pointer)
            && FromPath(File.ReadAllText(pointer).Trim()) is { } built)
            return built;

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "condensa.exe" : "condensa");
            if (File.Exists(candidate)) return new WorkerHost(candidate, Array.Empty<string>());
        }
        throw NotFound("The `condensa` host that runs trials in worker processes was not found.");
    }

    private static WorkerHost? FromPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) return null;
        if (full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return new WorkerHost(Dotnet(), new[] { full });
        return new WorkerHost(full, Array.Empty<string>());
    }

    /// <summary>The dotnet muxer: the one running this process when it is dotnet, else DOTNET_HOST_PATH, else dotnet on the PATH.</summary>
    private static string Dotnet()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(hostPath) && File.Exists(hostPath) ? hostPath : "dotnet";
    }

    private static EngineException NotFound(string why) => new("WorkerHostNotFound", EngineErrorKind.NotInstalled,
        $"{why} Build it with 'dotnet build CondensaPS.sln' (which records its path in the module folder), put condensa on the PATH, or set {EnvironmentVariable} to condensa or condensa.dll.");
}
