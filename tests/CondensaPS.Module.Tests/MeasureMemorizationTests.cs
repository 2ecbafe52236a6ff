using System.Management.Automation;
using System.Text.Json;
using CondensaPS.Module.Tests.Support;
using CondensaPS.Tests.Shared;

namespace CondensaPS.Module.Tests;

/// <summary>
/// Measure-Memorization as a user runs it: subset models in `condensa` worker processes, the scores file, -Resume that
/// keeps finished models and leaves failed ones out, the scores feeding Measure-Mismatch -Score and long-tail
/// retraining, Slurm, and every kind of bad input.
/// </summary>
[Collection(ModuleCollection.Name)]
public class MeasureMemorizationTests
{
    private readonly ModuleSession _m;
    public MeasureMemorizationTests(ModuleSession m) => _m = m;

    private string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");

    /// <summary>300 training and 100 test digits; subset models of 2 epochs take a few seconds each.</summary>
    private string Data() => $$"""
        $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 300
        $test = Import-Dataset '{{Mnist("test-images-idx3-ubyte.gz")}}' -First 100
        """;

    private static string Estimate(string folder, string extra = "", int k = 3) =>
        $"Measure-Memorization -Model (New-Model lenet5 -Seed 1) -Data $train -TestData $test -SubsetCount {k} -Recipe @{{ epochs = 2 }} -ThrottleLimit 2 -OutputPath '{folder}' {extra}";

    [Fact]
    public void A_small_estimate_runs_in_workers_writes_its_file_and_feeds_Measure_Mismatch()
    {
        var dir = _m.NewTempFolder();
        var run = Path.Combine(dir, "run");
        var chart = Path.Combine(dir, "by-score.png");
        var r = _m.Run(Data() + $$"""

            $result = {{Estimate(run)}}
            $reference = New-Model lenet5 -Seed 4 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 2 -LearningRate 0.05
            $pruned = $reference | Invoke-Prune -Ratio 0.9
            [pscustomobject]@{
                Result = $result
                OnTest = Measure-Mismatch -Compressed $pruned -Data $test -Score $result -ScoreBuckets 3 -ScoreChartPath '{{chart}}'
                OnTrain = Measure-Mismatch -Compressed $pruned -Data $train -Score '{{run}}/memorization.json' -ScoreBucketEdges 0.25, 0.5 -TopFlipped 3
                ByFolder = (Measure-Mismatch -Compressed $pruned -Data $train -Score '{{run}}' -ScoreName held-out-accuracy).ByScore.Score
                Numbers = (Measure-Mismatch -Compressed $pruned -Data $test -Score (1..100 | ForEach-Object { $_ % 10 })).ByScore
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        dynamic result = o.Prop<PSObject>("Result").BaseObject;
        Assert.Equal(3, (int)result.ModelsUsed);
        Assert.Equal(3, (int)result.ModelsRun);
        Assert.Empty((IEnumerable<object>)result.FailedModels);
        Assert.Equal(300, (int)result.TrainingCount);
        Assert.Equal(100, (int)result.TestCount);
        Assert.Equal("lenet5", (string)result.Architecture);
        Assert.Equal("fresh", (string)result.Initialization);
        Assert.Equal(2L, (long)result.Recipe["epochs"]);
        Assert.Equal("cross-entropy", (string)result.Recipe["loss"]);
        Assert.Contains("local, 2 workers", (string)result.Executor);
        Assert.Equal(Path.Combine(run, "memorization.json"), (string)result.Path);
        Assert.All((IEnumerable<dynamic>)result.Training, s => Assert.Equal(3, (int)s.ModelsIn + (int)s.ModelsOut));
        Assert.Equal(5, ((IEnumerable<object>)((IEnumerable<dynamic>)result.Test).First().TopInfluences).Count());
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "memorization.json"))))
            Assert.Equal(300, doc.RootElement.GetProperty("training").GetProperty("memorization").GetArrayLength());
        Assert.Equal(3, Directory.GetDirectories(Path.Combine(run, "subsets")).Length);

        dynamic onTest = o.Prop<PSObject>("OnTest").BaseObject;
        Assert.Equal("influence", (string)onTest.ByScore.Score);
        Assert.Equal(100, (int)onTest.ByScore.Samples);
        Assert.InRange((int)onTest.ByScore.Buckets.Length, 1, 3);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(chart)[..4]);
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(dir, "by-score.svg")));
        dynamic onTrain = o.Prop<PSObject>("OnTrain").BaseObject;
        Assert.Equal("memorization", (string)onTrain.ByScore.Score);
        Assert.Equal("edges 0.25, 0.5", (string)onTrain.ByScore.Bucketing);
        Assert.Equal(3, (int)onTrain.ByScore.Buckets.Length);
        Assert.InRange((int)onTrain.ByScore.TopFlipped.Length, 1, 3);
        Assert.Equal("held-out-accuracy", o.Prop<string>("ByFolder"));
        dynamic numbers = o.Prop<PSObject>("Numbers").BaseObject;
        Assert.Equal("score", (string)numbers.Score);
        Assert.Equal(100, (int)numbers.Scored);
    }

    [Fact]
    public void Resume_keeps_finished_models_runs_the_rest_and_leaves_failed_ones_out()
    {
        var dir = _m.NewTempFolder();
        var run = Path.Combine(dir, "run");
        _m.Run(Data() + "\n" + Estimate(run) + " | Out-Null").AssertSucceeded();
        var results = Enumerable.Range(0, 3).Select(k => Path.Combine(run, "subsets", k.ToString("0000"), "result.json")).ToArray();
        var stamps = results.Select(File.GetLastWriteTimeUtc).ToArray();
        // Model 1 died (no result); model 2 recorded a failure of its own.
        File.Delete(results[1]);
        File.WriteAllText(results[2], "{\"kind\": \"memorization-subset-result\", \"number\": 2, \"succeeded\": false, \"error-id\": \"LossNotFinite\", \"error\": \"The loss became NaN\", \"elapsed-seconds\": 1}");
        var r = _m.Run(Data() + "\n" + Estimate(run, "-Resume -WarningVariable warned -WarningAction SilentlyContinue", k: 4) + "\n$warned | ForEach-Object { \"WARNING: $_\" }");
        r.AssertSucceeded();
        dynamic result = r.Output[0].BaseObject;
        Assert.Equal(2, (int)result.ModelsResumed); // models 0 and 2 (its failure is a result)
        Assert.Equal(2, (int)result.ModelsRun);     // model 1 again, and model 3 (a larger K on resume)
        Assert.Equal(3, (int)result.ModelsUsed);
        var failed = ((IEnumerable<dynamic>)result.FailedModels).Single();
        Assert.Equal((2, "LossNotFinite"), ((int)failed.Number, (string)failed.ErrorId));
        Assert.Equal(stamps[0], File.GetLastWriteTimeUtc(results[0]));
        Assert.All((IEnumerable<dynamic>)result.Training, s => Assert.Equal(3, (int)s.ModelsIn + (int)s.ModelsOut));
        Assert.Contains(r.Output, x => x.BaseObject is string s && s.Contains("Subset model 2 is left out of the scores: LossNotFinite"));
    }

    [Fact]
    public void Resume_refuses_a_run_made_with_other_settings_and_an_existing_run_needs_Resume_or_Force()
    {
        var dir = _m.NewTempFolder();
        var run = Path.Combine(dir, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "memorization-run.json"), "ratio 0.5; seed 0; initialization Fresh; top 5\n");
        var r = _m.Run(Data() + "\n" + Estimate(run));
        var e = r.SingleError();
        Assert.StartsWith("MemorizationRunExists", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);
        r = _m.Run(Data() + "\n" + Estimate(run, "-Resume"));
        e = r.SingleError();
        Assert.StartsWith("MemorizationRunMismatch", e.FullyQualifiedErrorId);
        Assert.Contains("ratio 0.5", e.Exception.Message);
        Assert.False(Directory.Exists(Path.Combine(run, "subsets")));

        r = _m.Run(Data() + "\n" + Estimate(Path.Combine(dir, "w"), "-WhatIf"));
        r.AssertSucceeded();
        Assert.Empty(r.Output);
        Assert.False(Directory.Exists(Path.Combine(dir, "w")));
    }

    [Theory]
    [InlineData("-SubsetCount 1", "TooFewSubsets", "at least 2 subset models")]
    [InlineData("-SubsetCount 3 -SubsetRatio 1", "SubsetRatioOutOfRange", "strictly between 0 and 1")]
    [InlineData("-SubsetCount 3 -SubsetRatio 0", "SubsetRatioOutOfRange", "got 0")]
    [InlineData("-SubsetCount 3 -SubsetRatio 0.001", "SubsetTooSmall", "subsets of 0")]
    [InlineData("-SubsetCount 3 -Recipe @{ loss = 'label-preserving' }", "RecipeNeedsReference", "cross-entropy")]
    [InlineData("-SubsetCount 3 -Recipe @{ epoch = 2 }", "InvalidStepSetting", "'epoch': unknown setting")]
    [InlineData("-SubsetCount 3 -Recipe @{ seed = 2 }", "InvalidStepSetting", "-Seed")]
    [InlineData("-SubsetCount 3 -Partition debug", "SlurmSettingWithoutSlurm", "-Executor Slurm")]
    [InlineData("-SubsetCount 3 -Resume", "MemorizationRunNotFound", "no memorisation run to resume")]
    [InlineData("-SubsetCount 3 -TopInfluences 0", "TopInfluencesOutOfRange", "at least one influence")]
    public void Bad_input_is_a_clear_error_before_any_model_trains(string arguments, string errorId, string message)
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run(Data() + $"\nMeasure-Memorization -Model (New-Model lenet5 -Seed 1) -Data $train -TestData $test -OutputPath '{dir}/run' {arguments}");
        var e = r.SingleError();
        Assert.StartsWith(errorId, e.FullyQualifiedErrorId);
        Assert.Contains(message, e.Exception.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "run", "subsets")));
    }

    [Fact]
    public void A_fresh_initialisation_needs_a_built_in_architecture_and_data_must_fit_the_model()
    {
        var dir = _m.NewTempFolder();
        var scripted = Path.Combine(_m.RepoRoot, "tests", "fixtures", "lenet5_scripted.pt");
        var r = _m.Run(Data() + $"\nMeasure-Memorization -Model '{scripted}' -Data $train -SubsetCount 3 -OutputPath '{dir}/run'");
        var e = r.SingleError();
        Assert.StartsWith("FreshInitializationNeedsBuiltIn", e.FullyQualifiedErrorId);
        Assert.Contains("-Initialization Given", e.Exception.Message);

        r = _m.Run(Data() + $"\nMeasure-Memorization -Model (New-Model resnet18 -NumClasses 10) -Data $train -SubsetCount 3 -OutputPath '{dir}/run2'");
        Assert.StartsWith("DatasetShapeDoesNotFitModel", r.SingleError().FullyQualifiedErrorId);
    }

    [Theory]
    [InlineData("-Score (1..99)", "ScoreCountMismatch", "99 score(s) for the 100 samples")]
    [InlineData("-Score (1..100) -ScoreName memorization", "ScoreNameWithoutResult", "plain values")]
    [InlineData("-Score (1..100) -ScoreBucketEdges 0.5, 0.2", "ScoreBucketEdgesInvalid", "strictly increasing")]
    [InlineData("-Score (1..100) -ScoreBuckets 0", "ScoreBucketsOutOfRange", "between 1 and 1000")]
    [InlineData("-Score (1..100) -ScoreBuckets 3 -ScoreBucketEdges 0.5", "ScoreBucketsConflict", "give one of them")]
    public void Bad_scores_stop_Measure_Mismatch(string arguments, string errorId, string message)
    {
        var r = _m.Run(Data() + $"\n$m = New-Model lenet5 -Seed 1\n$m | Invoke-Prune -Ratio 0.5 | Measure-Mismatch -Data $test {arguments}");
        var e = r.Terminating ?? r.SingleError();
        Assert.StartsWith(errorId, e.FullyQualifiedErrorId);
        Assert.Contains(message, e.Exception.Message);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
    }

    [Fact]
    public void Scores_of_other_data_or_a_file_that_is_not_one_are_refused()
    {
        var dir = _m.NewTempFolder();
        var file = Path.Combine(dir, "memorization.json");
        File.WriteAllText(file, "{\"format\": \"condensaps-memorization\", \"version\": 1, \"architecture\": \"lenet5\"}");
        var r = _m.Run(Data() + $"\n$m = New-Model lenet5 -Seed 1\n$m | Invoke-Prune -Ratio 0.5 | Measure-Mismatch -Data $test -Score '{file}'");
        var e = r.Terminating ?? r.SingleError();
        Assert.Contains("not a memorisation file", e.Exception.Message);
        r = _m.Run(Data() + $"\n$m = New-Model lenet5 -Seed 1\n$m | Invoke-Prune -Ratio 0.5 | Measure-Mismatch -Data $test -Score '{dir}/none.json'");
        e = r.Terminating ?? r.SingleError();
        Assert.Contains("does not exist", e.Exception.Message);
    }

    [SlurmFact]
    public void A_small_estimate_runs_through_Slurm_job_arrays()
    {
        var dir = _m.NewTempFolder();
        var run = Path.Combine(dir, "run");
        var r = _m.Run(Data() + "\n" + $"Measure-Memorization -Model (New-Model lenet5 -Seed 1) -Data $train -TestData $test -SubsetCount 4 -Recipe @{{ epochs = 1 }} -ThrottleLimit 2 -Executor Slurm -Partition debug -TimeLimit '00:10:00' -OutputPath '{run}'");
        r.AssertSucceeded();
        dynamic result = r.Output.Single().BaseObject;
        Assert.StartsWith("slurm partition debug", (string)result.Executor);
        Assert.Equal(4, (int)result.ModelsUsed);
        Assert.Empty((IEnumerable<object>)result.FailedModels);
        Assert.Contains("#SBATCH --array=0-3%2", File.ReadAllText(Directory.GetFiles(Path.Combine(run, "slurm"), "batch-*.sh").Single()));
        Assert.All(Enumerable.Range(0, 4), k => Assert.True(File.Exists(Path.Combine(run, "subsets", k.ToString("0000"), "result.json"))));
    }
}
