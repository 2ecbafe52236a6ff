using CondensaPS.Module.Tests.Support;
using static CondensaPS.Module.Tests.Support.HostScriptRun;

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
        var strategy = FindCompressionStrategyTests.Strategy(folder);
        return WriteScript(folder, "search.ps1", $$"""
            param([string]$Out, [switch]$Resume)
            $train = Import-Dataset '{{_m.MnistInScript("train-images-idx3-ubyte.gz")}}' -First 1000
            $val = Import-Dataset '{{_m.MnistInScript("val-images-idx3-ubyte.gz")}}' -First 100
            $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
            $all = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -Data $train -ValidationData $val -Range @{ ratio = 0.5, 0.98, 0.02 } -MaxMismatchRate 0.3 -MaxTrials {{maxTrials}} -ThrottleLimit 1 -OutputPath $Out -Resume:$Resume)
            $r = $all[-1]
            foreach ($t in $r.Trials) { Write-Host ('TRIAL {0} {1} attempts={2}' -f $t.Number, $t.Status, $t.Attempts) }
            Write-Host ('RESULT resumed={0} run={1} trials={2}' -f $r.TrialsResumed, $r.TrialsRun, $r.Trials.Count)
            """);
    }

    [Fact]
    public void A_search_killed_with_SIGKILL_resumes_without_rerunning_finished_trials()
    {
        var dir = _m.NewTempFolder();
        var script = Script(dir, 4);
        var output = Path.Combine(dir, "s");
        var journal = Path.Combine(output, "trials.jsonl");
        int Lines() => File.Exists(journal) ? File.ReadAllLines(journal).Length : 0;

        using (var search = HostScriptRun.Start(script, "-Out", output))
            search.KillWhen(() => Lines() >= 3, TimeSpan.FromMinutes(5), "two journaled trials"); // SIGKILL, the search process alone
        // Its worker notices that the search is gone and stops (ParentWatchdog), so nothing runs on behind it.
        WaitForWorkersToStop(Path.Combine(output, "trials"), TimeSpan.FromSeconds(15));
        var before = File.ReadAllLines(journal).Where(l => l.EndsWith('}')).ToList();
        int finished = before.Count - 1;
        Assert.True(finished >= 2);
        var stamps = Enumerable.Range(1, finished).ToDictionary(n => n, n => File.GetLastWriteTimeUtc(Path.Combine(output, "trials", n.ToString("0000"), "result.json")));

        int code;
        string text;
        using (var again = HostScriptRun.Start(script, "-Out", output, "-Resume"))
        {
            again.WaitForExit(TimeSpan.FromMinutes(10), "the resumed search");
            (code, text) = (again.ExitCode, again.Output);
        }
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
        var all = RunKillingAWorker(script, Path.Combine(output, "trials", "0001"), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(5), "-Out", output);
        Assert.Contains("TRIAL 1 Succeeded attempts=2", all);
        Assert.Contains("TRIAL 2 Succeeded attempts=1", all);
    }
}
