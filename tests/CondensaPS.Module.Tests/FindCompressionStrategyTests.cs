using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// Find-CompressionStrategy as a user runs it: trials in `condensa` worker processes, streamed then journaled, the
/// result with its best model and a fixed strategy that replays, the chart, and every kind of bad input.
/// </summary>
[Collection(ModuleCollection.Name)]
public class FindCompressionStrategyTests
{
    private readonly ModuleSession _m;
    public FindCompressionStrategyTests(ModuleSession m) => _m = m;

    private string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");

    /// <summary>Small data and a LeNet-5 reference trained for 3 epochs on 1,000 digits (81% accuracy): a trial takes a few seconds.</summary>
    internal string Setup() => $$"""
        $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 1000
        $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 100
        $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
        """;

    internal static string Strategy(string folder, string? search = null, string steps = "  - prune: { ratio: \"${ratio}\", scope: global }\n  - retrain: { loss: label-preserving, epochs: 1, learning-rate: 0.01, seed: 3 }\n")
    {
        var path = Path.Combine(folder, "search.yaml");
        File.WriteAllText(path, "version: 1\nname: lenet-search\nparameters:\n  ratio: 0.5\n" + (search ?? "") + "steps:\n" + steps);
        return path;
    }

    [Fact]
    public void Trials_stream_then_the_result_whose_strategy_replays_to_the_best_model()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir, "search:\n  parameters:\n    ratio: { min: 0.5, max: 0.98, step: 0.02 }\n  constraints: { mismatch-rate: 0.3 }\n  objective: compact-bytes\n  max-trials: 4\n");
        var r = _m.Run(Setup() + $$"""

            # Workers with this session's thread count, so that replaying here repeats the trial's arithmetic exactly.
            $threads = (Get-CondensaConfiguration).ThreadCount
            $out = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -Data $train -ValidationData $val -ThrottleLimit 2 -WorkerThreadCount $threads -OutputPath '{{dir}}/s')
            $result = $out[-1]
            $replayed = Invoke-CompressionStrategy -Path $result.BestStrategyPath -Model $reference -Data $train -ValidationData $val
            [pscustomobject]@{
                Types = ($out | ForEach-Object { $_.GetType().Name }) -join ','
                Result = $result
                Same = [CondensaPS.Engine.Models.ModelComparison]::Differences($replayed, $result.BestModel) -join ", "
                ReferenceKept = [object]::ReferenceEquals($result.BestModel.Reference, $reference)
                Lines = [System.IO.File]::ReadAllLines($result.JournalPath).Count
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        var types = o.Prop<string>("Types").Split(',');
        Assert.Equal("SearchResult", types[^1]);
        Assert.All(types[..^1], t => Assert.Equal("SearchTrial", t));
        dynamic result = o.Prop<PSObject>("Result").BaseObject;
        Assert.True((bool)result.Feasible, (string)result.Message);
        Assert.Equal(types.Length - 1, (int)result.Trials.Count);
        Assert.InRange((int)result.Trials.Count, 2, 4);
        Assert.Equal(types.Length, o.Prop<int>("Lines"));
        Assert.Equal("", o.Prop<string>("Same")); // the fixed strategy replays to the best trial's model, value for value
        Assert.True(o.Prop<bool>("ReferenceKept"));
        Assert.Equal(0.98, (double)result.Trials[0].Value);
        foreach (string chart in result.ChartPaths) Assert.True(new FileInfo(chart).Length > 1000, chart);
        Assert.EndsWith(".png", (string)result.ChartPaths[0]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes((string)result.ChartPaths[0])[..4]);
        var svg = File.ReadAllText((string)result.ChartPaths[1]);
        Assert.StartsWith("<svg", svg);
        // What the chart must show: the GP's mean and band, the bound, and the estimated feasible boundary.
        foreach (var legend in new[] { "GP mean", "GP 95% band", "bound 0.3", "estimated boundary" })
            Assert.Contains(legend, svg);
        Assert.Contains("local", (string)result.Executor);
        Assert.Contains("pid", (string)result.Trials[0].Worker);
        Assert.All((IEnumerable<dynamic>)result.Trials, t => Assert.Equal("Succeeded", t.Status.ToString()));
        Assert.Contains("version: 1", (string)result.BestStrategy);
    }

    [Fact]
    public void A_constraint_no_trial_meets_gives_a_result_that_says_so_with_the_closest_trial()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        var r = _m.Run(Setup() + $$"""

            $out = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -Data $train -ValidationData $val -Range @{ ratio = 0.9, 0.99, 0.01 } -MaxAccuracyDrop -50 -MaxTrials 2 -OutputPath '{{dir}}/s' -WarningVariable warned -WarningAction SilentlyContinue)
            $out[-1]
            $warned | ForEach-Object { "WARNING: $_" }
            """);
        r.AssertSucceeded();
        dynamic result = r.Output[0].BaseObject;
        Assert.False((bool)result.Feasible);
        Assert.StartsWith("No trial met accuracy-drop <= -50", (string)result.Message);
        Assert.NotNull(result.BestTrial);
        Assert.Null(result.BestModel);
        Assert.Null(result.BestStrategyPath);
        Assert.Null(result.Boundary.Estimate);
        Assert.Contains(r.Output, o => o.BaseObject is string s && s.StartsWith("WARNING: No trial met", StringComparison.Ordinal));
    }

    [Fact]
    public void Trials_that_throw_are_recorded_with_their_error_and_the_search_goes_on()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir, steps: "  - prune: { ratio: \"${ratio}\", include: [no-such-layer.*] }\n");
        var r = _m.Run(Setup() + $$"""

            $out = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -ValidationData $val -Range @{ ratio = 0.5, 0.9 } -MaxMismatchRate 0.5 -MaxTrials 2 -ThrottleLimit 2 -OutputPath '{{dir}}/s' -WarningAction SilentlyContinue)
            $out
            """);
        r.AssertSucceeded();
        var trials = r.Output.Select(o => o.BaseObject).Where(o => o.GetType().Name == "SearchTrial").Cast<dynamic>().ToList();
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal("Failed", t.Status.ToString());
            Assert.Equal("NothingToPrune", (string)t.ErrorId);
            Assert.Contains("include/exclude", (string)t.Error);
        });
        dynamic result = r.Output[^1].BaseObject;
        Assert.False((bool)result.Feasible);
        Assert.StartsWith("No trial produced figures", (string)result.Message);
    }

    [Theory]
    [InlineData("-Range @{ ratio = 0.5, 1.2 } -MaxAccuracyDrop 1", "SearchRangeOutsideUnit", "outside 0..1")]
    [InlineData("-Range @{ ratio = 0.9, 0.6 } -MaxAccuracyDrop 1", "SearchRangeReversed", "above max")]
    [InlineData("-Range @{ ratio = @{ Min = 0.5; Max = 0.9; Step = 0.5 } } -MaxAccuracyDrop 1", "SearchInvalidStep", "step of 'ratio'")]
    [InlineData("-Range @{ ratio = 0.5, 0.9; epochs = 1, 2 } -MaxAccuracyDrop 1", "SearchOneParameter", "one parameter")]
    [InlineData("-Range @{ ratio = 0.5, 0.9 }", "SearchNoConstraint", "-MaxAccuracyDrop")]
    [InlineData("-MaxAccuracyDrop 1", "SearchNoRange", "-Range")]
    [InlineData("-Range @{ ratio = 0.5, 0.9 } -MaxAccuracyDrop 1 -Partition debug", "SlurmSettingWithoutSlurm", "-Executor Slurm")]
    [InlineData("-Range @{ ratio = 0.5, 0.9 } -MaxAccuracyDrop 1 -Parameters @{ ratio = 0.3 }", "SearchParameterFixed", "searched parameter")]
    [InlineData("-Range @{ ratio = 0.5, 0.9 } -MaxAccuracyDrop 1 -Resume", "SearchJournalNotFound", "no search to resume")]
    public void Bad_settings_are_parameter_errors_before_any_trial(string arguments, string errorId, string message)
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        var r = _m.Run($$"""
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 20
            New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path '{{strategy}}' -ValidationData $val -OutputPath '{{dir}}/s' {{arguments}}
            """);
        var e = r.SingleError();
        Assert.StartsWith(errorId, e.FullyQualifiedErrorId);
        Assert.Contains(message, e.Exception.Message);
        Assert.Contains(e.CategoryInfo.Category, new[] { ErrorCategory.InvalidArgument, ErrorCategory.NotImplemented, ErrorCategory.ObjectNotFound });
        Assert.False(Directory.Exists(Path.Combine(dir, "s", "trials")));
    }

    [Fact]
    public void An_unknown_objective_is_refused_by_the_parameter_binder()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run($"New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path '{Strategy(dir)}' -Range @{{ ratio = 0.5, 0.9 }} -MaxAccuracyDrop 1 -Objective Flops");
        var e = r.SingleError();
        Assert.StartsWith("CannotConvertArgumentNoMessage", e.FullyQualifiedErrorId);
        Assert.Contains("CompactBytes", e.Exception.Message);
    }

    [Fact]
    public void A_bad_search_section_is_an_error_at_its_file_line_and_column()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir, "search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: flops\n");
        var r = _m.Run($"New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path '{strategy}'");
        var e = r.SingleError();
        Assert.StartsWith("StrategyInvalidSearch", e.FullyQualifiedErrorId);
        Assert.StartsWith($"{strategy}:9:14: unknown objective 'flops'", e.Exception.Message);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
    }

    [Fact]
    public void An_existing_search_needs_Resume_or_Force_and_WhatIf_writes_nothing()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        Directory.CreateDirectory(Path.Combine(dir, "s"));
        File.WriteAllText(Path.Combine(dir, "s", "trials.jsonl"), "{}\n");
        var common = $"-Path '{strategy}' -ValidationData $val -Range @{{ ratio = 0.5, 0.9 }} -MaxAccuracyDrop 1";
        var r = _m.Run($"$val = Import-Dataset '{Mnist("val-images-idx3-ubyte.gz")}' -First 20\nNew-Model lenet5 -Seed 1 | Find-CompressionStrategy {common} -OutputPath '{dir}/s'");
        var e = r.SingleError();
        Assert.StartsWith("SearchExists", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);

        r = _m.Run($"$val = Import-Dataset '{Mnist("val-images-idx3-ubyte.gz")}' -First 20\nNew-Model lenet5 -Seed 1 | Find-CompressionStrategy {common} -OutputPath '{dir}/w' -WhatIf");
        r.AssertSucceeded();
        Assert.Empty(r.Output);
        Assert.False(Directory.Exists(Path.Combine(dir, "w")));
    }

    [Fact]
    public void No_Slurm_reachable_is_a_clear_error_before_anything_is_submitted()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        var empty = _m.NewTempFolder();
        var r = _m.Run($$"""
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 20
            $env:CONDENSAPS_SLURM_BIN = '{{empty}}'
            try {
                New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path '{{strategy}}' -ValidationData $val -Range @{ ratio = 0.5, 0.9 } -MaxAccuracyDrop 1 -Executor Slurm -Partition debug -OutputPath '{{dir}}/s'
            }
            finally { $env:CONDENSAPS_SLURM_BIN = $null }
            """);
        var e = r.SingleError();
        Assert.StartsWith("SlurmUnavailable", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceUnavailable, e.CategoryInfo.Category);
        Assert.Contains("sbatch was not found", e.Exception.Message);
        Assert.Contains("Nothing was submitted", e.Exception.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "s")));
    }

    [SlurmFact]
    public void A_search_runs_through_Slurm_job_arrays()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        var r = _m.Run(Setup() + $$"""

            $out = @(Find-CompressionStrategy -Path '{{strategy}}' -Model $reference -Data $train -ValidationData $val -Range @{ ratio = 0.5, 0.98, 0.02 } -MaxMismatchRate 0.3 -MaxTrials 3 -ThrottleLimit 2 -Executor Slurm -Partition debug -TimeLimit '00:10:00' -OutputPath '{{dir}}/s')
            $out[-1]
            """);
        r.AssertSucceeded();
        dynamic result = r.Output.Single().BaseObject;
        Assert.StartsWith("slurm partition debug", (string)result.Executor);
        Assert.Equal(3, (int)result.Trials.Count);
        Assert.All((IEnumerable<dynamic>)result.Trials, t =>
        {
            Assert.Equal("Succeeded", t.Status.ToString());
            Assert.StartsWith("slurm ", (string)t.Worker);
        });
        Assert.True(Directory.GetFiles(Path.Combine(dir, "s", "slurm"), "batch-*.sh").Length >= 2);
        Assert.Contains("#SBATCH --array=0-1%2", File.ReadAllText(Directory.GetFiles(Path.Combine(dir, "s", "slurm"), "batch-*.sh").Min()!));
        Assert.NotNull(result.BestModel);
    }

    [Fact]
    public void The_search_example_runs_quick()
    {
        var dir = _m.NewTempFolder();
        var r = _m.RunFile(Path.Combine(_m.RepoRoot, "examples", "search-ratio.ps1"), "-Quick", "-ThrottleLimit", "2", "-OutputPath", Path.Combine(dir, "s"));
        r.AssertSucceeded();
        Assert.Contains("trial  1: ratio 0.99", r.HostText);
        Assert.Contains("Boundary: ratio", r.HostText);
        Assert.True(File.Exists(Path.Combine(dir, "s", "search.png")));
    }

    [Fact]
    public void Ctrl_C_stops_the_search_and_its_workers_keeps_the_journal_and_Resume_goes_on_with_a_larger_budget()
    {
        var dir = _m.NewTempFolder();
        var strategy = Strategy(dir);
        var output = Path.Combine(dir, "s");
        var journal = Path.Combine(output, "trials.jsonl");
        _m.Run(Setup().Replace("$train", "$stopTrain").Replace("$val", "$stopVal").Replace("$reference", "$stopReference")).AssertSucceeded();
        var command = $"Find-CompressionStrategy -Path '{strategy}' -Model $stopReference -Data $stopTrain -ValidationData $stopVal -Range @{{ ratio = 0.5, 0.98, 0.02 }} -MaxMismatchRate 0.3 -ThrottleLimit 1 -OutputPath '{output}'";
        using (var ps = PowerShell.Create(_m.Session.Runspace))
        {
            ps.AddScript(command + " -MaxTrials 6");
            var results = new PSDataCollection<PSObject>();
            var async = ps.BeginInvoke<PSObject, PSObject>(null, results);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            // The trial is journaled first and then streamed from the pipeline thread: wait for both, so that Stop
            // cannot fall between them on a busy machine.
            while (!(File.Exists(journal) && File.ReadAllLines(journal).Length >= 2 && results.Count >= 1))
            {
                Assert.True(watch.Elapsed < TimeSpan.FromMinutes(4), "no trial finished");
                Thread.Sleep(200);
            }
            ps.Stop();
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
            Assert.Equal("SearchTrial", Assert.Single(results).BaseObject.GetType().Name);
        }
        // The running worker was killed with the search: no process works in the trials folder any more.
        var trials = Path.Combine(output, "trials");
        Assert.DoesNotContain(Directory.GetDirectories("/proc"), d => int.TryParse(Path.GetFileName(d), out _)
            && (TryCwd(d)?.StartsWith(trials, StringComparison.Ordinal) ?? false));
        var kept = File.ReadAllLines(journal);
        Assert.Equal(2, kept.Length);

        var r = _m.Run(command + " -MaxTrials 2 -Resume");
        r.AssertSucceeded();
        dynamic result = r.Output[^1].BaseObject;
        Assert.Equal(1, (int)result.TrialsResumed);
        Assert.Equal(1, (int)result.TrialsRun);
        Assert.Equal(kept, File.ReadAllLines(journal).Take(2));
    }

    private static string? TryCwd(string proc)
    {
        try { return Directory.ResolveLinkTarget(Path.Combine(proc, "cwd"), false)?.FullName; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
