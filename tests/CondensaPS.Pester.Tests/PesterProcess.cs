using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace CondensaPS.Pester.Tests;

/// <summary>
/// Runs tests/Invoke-PesterSuites.ps1 in the pwsh 7.6.9 that the build installed in .tools/pwsh, and reads the JSON it
/// writes: the tests (their ids, results and errors) and the files they came from.
/// </summary>
public static class PesterProcess
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static string Pwsh => Path.Combine(RepoRoot, ".tools", "pwsh", "pwsh");
    public static string Script => Path.Combine(RepoRoot, "tests", "Invoke-PesterSuites.ps1");
    public static string LogPath => Path.Combine(RepoRoot, "TestResults", "Pester", "pester.log");

    /// <summary>Lists the Pester tests without running them (Pester's discovery: no BeforeAll, no test body).</summary>
    public static PesterReport Discover() => Run(discover: true, TimeSpan.FromMinutes(5));

    /// <summary>Runs every suite in one pwsh; its console output goes to TestResults/Pester/pester.log.</summary>
    public static PesterReport RunAll() => Run(discover: false, TimeSpan.FromMinutes(60));

    private static PesterReport Run(bool discover, TimeSpan timeout)
    {
        if (!File.Exists(Pwsh))
            throw new InvalidOperationException($"pwsh is not installed at {Pwsh}; building this project installs it (dotnet build CondensaPS.sln).");
        var json = Path.Combine(Path.GetTempPath(), $"condensaps-pester-{Guid.NewGuid():N}.json");
        var start = new ProcessStartInfo(Pwsh)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoRoot,
        };
        foreach (var a in new[] { "-NoProfile", "-NonInteractive", "-File", Script, "-ResultPath", json }) start.ArgumentList.Add(a);
        if (discover) start.ArgumentList.Add("-Discover");
        start.Environment["NO_COLOR"] = "1";
        var output = new StringBuilder();
        using var p = new Process { StartInfo = start };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var finished = p.WaitForExit(timeout);
        if (!finished) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        string text;
        lock (output) text = output.ToString();
        if (!discover)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
            File.WriteAllText(LogPath, text);
        }
        try
        {
            var exit = finished ? $"exited with code {p.ExitCode}" : $"was killed after {timeout.TotalMinutes} minutes";
            if (!File.Exists(json))
                throw new InvalidOperationException($"pwsh {Script} {exit} without writing its results. Its output ends:\n{Tail(text)}");
            var report = JsonSerializer.Deserialize<PesterReport>(File.ReadAllText(json))
                ?? throw new InvalidOperationException($"pwsh {Script} wrote no results");
            return report with { Exit = exit, Output = text };
        }
        finally { File.Delete(json); }
    }

    /// <summary>The last lines of a run's output, for failure messages.</summary>
    public static string Tail(string text, int lines = 40) =>
        string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record PesterReport(IReadOnlyList<PesterTest> Tests, IReadOnlyList<PesterContainer> Containers)
{
    public string Exit { get; init; } = "";
    public string Output { get; init; } = "";
}

/// <param name="Id">File, blocks and test name, expanded: "Import-Model.Tests.ps1: Import-Model > loads a.pt".</param>
/// <param name="Filter">Pester's -FullName for this test (unexpanded names joined by dots, wildcards escaped).</param>
/// <param name="SkipReason">Why its file skips it at discovery; null for a test that runs.</param>
public sealed record PesterTest(string Id, string File, int Line, string Name, string Filter, string Result, double Seconds, string? Error, string? SkipReason = null);

public sealed record PesterContainer(string File, string Result, string? Error);
