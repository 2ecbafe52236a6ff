using CondensaPS.Module.Tests.Support;
using static CondensaPS.Module.Tests.Support.HostScriptRun;

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

    private string Script(string folder, int k) => WriteScript(folder, "memorization.ps1", $$"""
        param([string]$Out, [switch]$Resume)
        $train = Import-Dataset '{{_m.MnistInScript("train-images-idx3-ubyte.gz")}}' -First 300
        $test = Import-Dataset '{{_m.MnistInScript("test-images-idx3-ubyte.gz")}}' -First 50
        $r = Measure-Memorization -Model (New-Model lenet5 -Seed 1) -Data $train -TestData $test -SubsetCount {{k}} -Recipe @{ epochs = 2 } -ThrottleLimit 1 -OutputPath $Out -Resume:$Resume
        Write-Host ('RESULT resumed={0} run={1} used={2} failed={3}' -f $r.ModelsResumed, $r.ModelsRun, $r.ModelsUsed, $r.FailedModels.Count)
        """);

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

        using (var first = HostScriptRun.Start(script, "-Out", run))
            first.KillWhen(() => Finished() >= 2, TimeSpan.FromMinutes(15), "two finished subset models"); // SIGKILL, the run's process alone
        // Its worker notices that the run is gone and stops (ParentWatchdog), so nothing trains on behind it.
        WaitForWorkersToStop(Path.Combine(run, "subsets"), TimeSpan.FromSeconds(60));
        var kept = results.Where(File.Exists).ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.InRange(kept.Count, 2, 3);
        Assert.False(File.Exists(Path.Combine(run, "memorization.json")));

        string second;
        using (var resumed = HostScriptRun.Start(script, "-Out", run, "-Resume"))
        {
            resumed.WaitForExit(TimeSpan.FromMinutes(20), "the resumed run");
            second = resumed.Output;
            Assert.True(resumed.ExitCode == 0, second);
        }
        var line = System.Text.RegularExpressions.Regex.Match(second, @"RESULT resumed=(\d+) run=(\d+) used=(\d+) failed=(\d+)");
        Assert.True(line.Success, second);
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
        var all = RunKillingAWorker(script, Path.Combine(run, "subsets", "0000"), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(20), "-Out", run);
        Assert.Contains("Subset model 0: its worker died", all);
        Assert.Contains("RESULT resumed=0 run=2 used=2 failed=0", all);
    }
}
