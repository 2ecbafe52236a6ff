using System.Diagnostics;
using System.Text;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// What a memorisation run survives, in real processes: the run itself killed with SIGKILL while its workers train
/// (the workers stop on their own, the finished models' results stay, and -Resume trains only the rest), and a
/// worker killed with SIGKILL (reported, its model trained once more). Each run is its own `condensa` process, as a
/// user's script would be.
/// </summary>
[Collection(ModuleCollection.Name)]
public class MemorizationRecoveryTests
{
    private readonly ModuleSession _m;
    public MemorizationRecoveryTests(ModuleSession m) => _m = m;

    private string Script(string folder, int k)
    {
        string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");
        var path = Path.Combine(folder, "memorization.ps1");
        File.WriteAllText(path, $$"""
            param([string]$Out, [switch]$Resume)
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 300
            $test = Import-Dataset '{{Mnist("test-images-idx3-ubyte.gz")}}' -First 50
            $r = Measure-Memorization -Model (New-Model lenet5 -Seed 1) -Data $train -TestData $test -SubsetCount {{k}} -Recipe @{ epochs = 2 } -ThrottleLimit 1 -OutputPath $Out -Resume:$Resume
            Write-Host ('RESULT resumed={0} run={1} used={2} failed={3}' -f $r.ModelsResumed, $r.ModelsRun, $r.ModelsUsed, $r.FailedModels.Count)
            """);
        return path;
    }

    private static Process Start(string script, StringBuilder text, params string[] arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ChildProcess.HostDll);
        start.ArgumentList.Add(script);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        start.Environment["CONDENSAPS_THREADS"] = "1";
        var p = new Process { StartInfo = start };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
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

    private static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout) throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            Thread.Sleep(200);
        }
    }

    private static string[] Results(string run, int k) =>
        Enumerable.Range(0, k).Select(n => Path.Combine(run, "subsets", n.ToString("0000"), "result.json")).ToArray();

    [Fact]
    public void A_run_killed_with_SIGKILL_keeps_its_finished_models_and_resumes_with_the_rest()
    {
        var dir = _m.NewTempFolder();
        var script = Script(dir, 4);
        var run = Path.Combine(dir, "run");
        var results = Results(run, 4);
        int Finished() => results.Count(File.Exists);

        var first = new StringBuilder();
        using (var p = Start(script, first, "-Out", run))
        {
            WaitFor(() => Finished() >= 2 || p.HasExited, TimeSpan.FromMinutes(15), "two finished subset models");
            Assert.False(p.HasExited, "the run ended before it could be killed:\n" + first);
            p.Kill(entireProcessTree: false); // SIGKILL, the run's process alone
            p.WaitForExit();
        }
        // Its worker notices that the run is gone and stops (ParentWatchdog), so nothing trains on behind it.
        WaitFor(() => ProcessesIn(Path.Combine(run, "subsets")).Count == 0, TimeSpan.FromSeconds(60), "the orphaned worker to stop");
        var kept = results.Where(File.Exists).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.InRange(kept.Count, 2, 3);
        Assert.False(File.Exists(Path.Combine(run, "memorization.json")));

        var second = new StringBuilder();
        using (var p = Start(script, second, "-Out", run, "-Resume"))
        {
            Assert.True(p.WaitForExit(1_200_000), "the resumed run did not finish");
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, second.ToString());
        }
        var line = System.Text.RegularExpressions.Regex.Match(second.ToString(), @"RESULT resumed=(\d+) run=(\d+) used=(\d+) failed=(\d+)");
        Assert.True(line.Success, second.ToString());
        Assert.Equal(kept.Count, int.Parse(line.Groups[1].Value));
        Assert.Equal(4 - kept.Count, int.Parse(line.Groups[2].Value));
        Assert.Equal((4, 0), (int.Parse(line.Groups[3].Value), int.Parse(line.Groups[4].Value)));
        foreach (var (file, stamp) in kept) Assert.Equal(stamp, File.GetLastWriteTimeUtc(file));
        Assert.True(File.Exists(Path.Combine(run, "memorization.json")));
    }

    [Fact]
    public void A_worker_killed_with_SIGKILL_is_reported_and_its_model_trains_once_more()
    {
        var dir = _m.NewTempFolder();
        var script = Script(dir, 2);
        var run = Path.Combine(dir, "run");
        var model0 = Path.Combine(run, "subsets", "0000");
        var text = new StringBuilder();
        using var p = Start(script, text, "-Out", run);
        WaitFor(() => ProcessesIn(model0).Count > 0 || p.HasExited, TimeSpan.FromMinutes(10), "the first worker");
        Process.GetProcessById(ProcessesIn(model0).Single()).Kill(); // SIGKILL
        Assert.True(p.WaitForExit(1_200_000), "the run did not finish");
        p.WaitForExit();
        var all = text.ToString();
        Assert.True(p.ExitCode == 0, all);
        Assert.Contains("Subset model 0: its worker died", all);
        Assert.Contains("killed by signal 9", all);
        Assert.Contains("RESULT resumed=0 run=2 used=2 failed=0", all);
    }
}
