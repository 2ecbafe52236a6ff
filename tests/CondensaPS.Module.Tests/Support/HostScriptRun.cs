using System.Diagnostics;
using System.Text;

namespace CondensaPS.Module.Tests.Support;

/// <summary>
/// A script run by the `condensa` host in its own process, as a user's script would run, with one thread
/// (CONDENSAPS_THREADS=1, so that two runs of a script compute the same) and its standard output and error captured
/// together as they come. The recovery tests start such runs, kill them or their workers with SIGKILL, and resume
/// them; the workers of a run are found by their working folder.
/// </summary>
public sealed class HostScriptRun : IDisposable
{
    private readonly StringBuilder _output = new();

    private readonly Process _process;

    private HostScriptRun(string script, string[] arguments)
    {
        var start = ChildProcess.StartInfo(ChildProcess.Dotnet, new[] { ChildProcess.HostDll, script }.Concat(arguments),
            new Dictionary<string, string> { ["CONDENSAPS_THREADS"] = "1" });
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Writes a script named <paramref name="name"/> into <paramref name="folder"/>; returns its path.</summary>
    public static string WriteScript(string folder, string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Starts <c>condensa <paramref name="script"/> <paramref name="arguments"/></c>.</summary>
    public static HostScriptRun Start(string script, params string[] arguments) => new(script, arguments);

    /// <summary>Everything the run has written so far.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Once <paramref name="ready"/> holds (within <paramref name="timeout"/>), kills the run's own process with SIGKILL,
    /// not its workers, as a crash or kill -9 would, and waits for it. A run that ends before is a failure.
    /// </summary>
    public void KillWhen(Func<bool> ready, TimeSpan timeout, string what)
    {
        WaitFor(() => ready() || _process.HasExited, timeout, what);
        Assert.False(_process.HasExited, "the run ended before it could be killed:\n" + Output);
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>
    /// Runs the script to its end while killing, with SIGKILL, the first worker that works in <paramref name="workerFolder"/>
    /// (once one starts, within <paramref name="workerStarts"/>); the run must report the death ("its worker died",
    /// "killed by signal 9"), get over it and succeed (within <paramref name="runEnds"/>). Returns its output.
    /// </summary>
    public static string RunKillingAWorker(string script, string workerFolder, TimeSpan workerStarts, TimeSpan runEnds, params string[] arguments)
    {
        using var run = Start(script, arguments);
        WaitFor(() => ProcessesIn(workerFolder).Count > 0 || run._process.HasExited, workerStarts, "the first worker");
        Process.GetProcessById(ProcessesIn(workerFolder).Single()).Kill();
        run.WaitForExit(runEnds, "the run");
        var output = run.Output;
        Assert.True(run.ExitCode == 0, output);
        Assert.Contains("its worker died", output);
        Assert.Contains("killed by signal 9", output);
        return output;
    }

    /// <summary>Waits until no worker works in <paramref name="folder"/>: the workers of a killed run stop on their own (ParentWatchdog).</summary>
    public static void WaitForWorkersToStop(string folder, TimeSpan timeout) =>
        WaitFor(() => ProcessesIn(folder).Count == 0, timeout, "the orphaned worker to stop");

    /// <summary>Waits for the run to end, its output read to the end; past <paramref name="timeout"/> kills it with its workers and throws.</summary>
    public void WaitForExit(TimeSpan timeout, string what)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            var output = Output;
            throw new TimeoutException($"{what} did not finish within {timeout.TotalSeconds:0} s; its output ended:\n{output[Math.Max(0, output.Length - 4000)..]}");
        }
        _process.WaitForExit();
    }

    /// <summary>Ends a run still going (a test that failed half-way) with its workers, so that nothing runs on behind the tests.</summary>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    /// <summary>Processes whose working folder is inside <paramref name="folder"/> (the workers of a run).</summary>
    private static List<int> ProcessesIn(string folder)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cwd = Directory.ResolveLinkTarget(Path.Combine(dir, "cwd"), false)?.FullName;
                if (cwd is not null && cwd.StartsWith(folder, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Polls <paramref name="condition"/> every 200 ms; throws after <paramref name="timeout"/>, naming <paramref name="what"/> it waited for.</summary>
    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout) throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            Thread.Sleep(200);
        }
    }
}
