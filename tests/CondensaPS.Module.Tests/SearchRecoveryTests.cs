using System.Diagnostics;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// What a search survives, in real processes: the search itself killed with SIGKILL (its workers stop on their own,
/// and -Resume runs none of the journaled trials again), and a worker killed with SIGKILL (reported and its trial run
/// once more). Each search runs in its own `condensa` process, as a user's script would.
/// </summary>
[Collection(ModuleCollection.Name)]
public class SearchRecoveryTests
{
    private readonly ModuleSession _m;
    public SearchRecoveryTests(ModuleSession m) => _m = m;

    private string Script(string folder, int maxTrials)
    {
        string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");
        var strategy = FindCompressionStrategyTests.Strategy(folder);
        var path = Path.Combine(folder, "search.ps1");
        File.WriteAllText(path, $$"""
            param([string]$Out, [switch]$Resume)
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 1000
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 100
            $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
            $all = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -Data $train -ValidationData $val -Range @{ ratio = 0.5, 0.98, 0.02 } -MaxMismatchRate 0.3 -MaxTrials {{maxTrials}} -ThrottleLimit 1 -OutputPath $Out -Resume:$Resume)
            $r = $all[-1]
            foreach ($t in $r.Trials) { Write-Host ('TRIAL {0} {1} attempts={2}' -f $t.Number, $t.Status, $t.Attempts) }
            Write-Host ('RESULT resumed={0} run={1} trials={2}' -f $r.TrialsResumed, $r.TrialsRun, $r.Trials.Count)
            """);
        return path;
    }

    private static Process Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ChildProcess.HostDll);
        start.ArgumentList.Add(script);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        // One thread count for both runs: the reference is retrained identically, so -Resume finds the same search.
        start.Environment["CONDENSAPS_THREADS"] = "1";
        var p = Process.Start(start)!;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static (int Code, string Out) Finish(string script, params string[] arguments)
    {
        var output = new System.Text.StringBuilder();
        var start = new ProcessStartInfo(ChildProcess.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ChildProcess.HostDll);
        start.ArgumentList.Add(script);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        start.Environment["CONDENSAPS_THREADS"] = "1";
        using var p = new Process { StartInfo = start };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(600_000)) { p.Kill(true); throw new TimeoutException("the search did not finish"); }
        p.WaitForExit();
        return (p.ExitCode, output.ToString());
    }

    /// <summary>Processes whose working folder is inside <paramref name="folder"/> (the workers of a search).</summary>
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

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout) throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            Thread.Sleep(200);
        }
    }

    [Fact]
    public void A_search_killed_with_SIGKILL_resumes_without_rerunning_finished_trials()
    {
        var dir = _m.NewTempFolder();
        var script = Script(dir, 4);
        var output = Path.Combine(dir, "s");
        var journal = Path.Combine(output, "trials.jsonl");
        int Lines() => File.Exists(journal) ? File.ReadAllLines(journal).Length : 0;

        using (var search = Start(script, "-Out", output))
        {
            WaitFor(() => Lines() >= 3 || search.HasExited, TimeSpan.FromMinutes(5), "two journaled trials");
            Assert.False(search.HasExited, "the search ended before it could be killed");
            search.Kill(entireProcessTree: false); // SIGKILL, the search process alone
            search.WaitForExit();
        }
        // Its worker notices that the search is gone and stops (ParentWatchdog), so nothing runs on behind it.
        WaitFor(() => ProcessesIn(Path.Combine(output, "trials")).Count == 0, TimeSpan.FromSeconds(15), "the orphaned worker to stop");
        var before = File.ReadAllLines(journal).Where(l => l.EndsWith('}')).ToList();
        int finished = before.Count - 1;
        Assert.True(finished >= 2);
        var stamps = Enumerable.Range(1, finished).ToDictionary(n => n, n => File.GetLastWriteTimeUtc(Path.Combine(output, "trials", n.ToString("0000"), "result.json")));

        var (code, text) = Finish(script, "-Out", output, "-Resume");
        var shown = string.Join("\n", text.Split('\n').Where(l => !l.StartsWith("PROGRESS", StringComparison.Ordinal)).TakeLast(40));
        Assert.True(code == 0, shown);
        var line = System.Text.RegularExpressions.Regex.Match(text, @"RESULT resumed=(\d+) run=(\d+) trials=(\d+)");
        Assert.True(line.Success, $"{finished} finished before the kill; the resumed run said:\n{shown}");
        int resumed = int.Parse(line.Groups[1].Value), run = int.Parse(line.Groups[2].Value), total = int.Parse(line.Groups[3].Value);
        // The journaled trials came back, none ran again; the search then ran on to its end (at most the budget of 4).
        Assert.Equal(finished, resumed);
        Assert.Equal(total, resumed + run);
        Assert.InRange(total, finished, 4);
        var after = File.ReadAllLines(journal);
        Assert.Equal(before, after.Take(before.Count));
        Assert.Equal(total + 1, after.Length);
        foreach (var (n, stamp) in stamps)
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(output, "trials", n.ToString("0000"), "result.json")));
        // The trial the kill interrupted ran again under a new number; numbers are never reused.
        var numbers = after.Skip(1).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("number").GetInt32()).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct().Count());
    }

    [Fact]
    public void A_worker_killed_with_SIGKILL_is_reported_and_its_trial_runs_once_more()
    {
        var dir = _m.NewTempFolder();
        var script = Script(dir, 2);
        var output = Path.Combine(dir, "s");
        var trial = Path.Combine(output, "trials", "0001");
        var text = new System.Text.StringBuilder();
        using var search = Start(script, "-Out", output);
        search.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        search.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        WaitFor(() => ProcessesIn(trial).Count > 0 || search.HasExited, TimeSpan.FromMinutes(3), "the first worker");
        var worker = ProcessesIn(trial).Single();
        Process.GetProcessById(worker).Kill(); // SIGKILL
        Assert.True(search.WaitForExit(300_000), "the search did not finish");
        search.WaitForExit();
        var all = text.ToString();
        Assert.True(search.ExitCode == 0, all);
        Assert.Contains("its worker died", all);
        Assert.Contains("killed by signal 9", all);
        Assert.Contains("TRIAL 1 Succeeded attempts=2", all);
        Assert.Contains("TRIAL 2 Succeeded attempts=1", all);
    }
}
