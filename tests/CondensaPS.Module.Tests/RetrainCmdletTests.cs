using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

[Collection(ModuleCollection.Name)]
public class RetrainCmdletTests
{
    private readonly ModuleSession _m;
    public RetrainCmdletTests(ModuleSession m) => _m = m;

    private string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");

    [Fact]
    public void Import_Dataset_reads_mnist_with_labels_beside_it_and_shows_its_shape()
    {
        var r = _m.Run($$"""
            $d = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -Seed 4
            [pscustomobject]@{ Count = $d.Count; Shape = $d.Shape; Classes = $d.Classes; Balance = $d.ClassBalance; Transforms = $d.Transforms; Seed = $d.Seed }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(1000, o.Prop<int>("Count"));
        Assert.Equal("1x28x28", o.Prop<string>("Shape"));
        Assert.Equal(10, o.Prop<int>("Classes"));
        Assert.StartsWith("0:", o.Prop<string>("Balance"));
        Assert.Contains("normalize mean 0.1307 std 0.3081", o.Prop<string>("Transforms"));
        Assert.Equal(4, o.Prop<int>("Seed"));
    }

    [Fact]
    public void Import_Dataset_with_mismatched_files_is_DatasetCountMismatch()
    {
        var r = _m.Run($"Import-Dataset '{Mnist("val-images-idx3-ubyte.gz")}' -LabelPath '{Mnist("test-labels-idx1-ubyte.gz")}'");
        Assert.Equal("DatasetCountMismatch,CondensaPS.Cmdlets.ImportDatasetCommand", r.SingleError().FullyQualifiedErrorId);
        var bad = _m.Run($"Import-Dataset '{Mnist("val-labels-idx1-ubyte.gz")}' -LabelPath '{Mnist("val-labels-idx1-ubyte.gz")}'");
        Assert.Equal("DatasetBadMagic,CondensaPS.Cmdlets.ImportDatasetCommand", bad.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Retrain_then_Measure_Mismatch_reports_against_the_recorded_reference()
    {
        var r = _m.Run($$"""
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 256
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 200
            $ref = New-Model lenet5 -Seed 2
            $p = $ref | Invoke-Prune -Ratio 0.9
            $t = $p | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Epochs 1 -Seed 1
            $report = $t | Measure-Mismatch -Data $val
            $noRef = New-Model lenet5 -Seed 3
            $err = $null
            try { $noRef | Measure-Mismatch -Data $val -ErrorAction Stop } catch { $err = $_.FullyQualifiedErrorId }
            [pscustomobject]@{ Samples = $report.Samples; Mismatches = $report.Mismatches; Indices = $report.MismatchIndices.Count; Step = $t.History[-1].Operation; Loss = $t.History[-1].Results['terms'] -join ','; SameRef = [object]::ReferenceEquals($t.Reference, $ref); Err = $err }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(200, o.Prop<int>("Samples"));
        Assert.Equal(o.Prop<int>("Indices"), o.Prop<int>("Mismatches"));
        Assert.Equal("retrain", o.Prop<string>("Step"));
        Assert.Equal("cross-entropy,distillation,teacher-label", o.Prop<string>("Loss"));
        Assert.True(o.Prop<bool>("SameRef"));
        Assert.StartsWith("ReferenceRequired", o.Prop<string>("Err"));
    }

    [Fact]
    public void Without_Seed_a_retrain_uses_the_data_sets_seed_as_a_strategy_step_does()
    {
        var r = _m.Run($$"""
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 128 -Seed 5
            $p = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
            $implicit = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Loss CrossEntropy
            $explicit = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Loss CrossEntropy -Seed 5
            $zero = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Loss CrossEntropy -Seed 0
            [pscustomobject]@{
                Seed = $implicit.History[-1].Results['seed']
                HasSeedSetting = $implicit.History[-1].Settings.ContainsKey('seed')
                Same = $implicit.History[-1].Results['epochs'][0]['loss'] -eq $explicit.History[-1].Results['epochs'][0]['loss']
                Differs = $implicit.History[-1].Results['epochs'][0]['loss'] -ne $zero.History[-1].Results['epochs'][0]['loss']
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(5L, o.Prop<long>("Seed"));
        Assert.False(o.Prop<bool>("HasSeedSetting"));
        Assert.True(o.Prop<bool>("Same"));
        Assert.True(o.Prop<bool>("Differs"));
    }

    [Fact]
    public void Measure_Mismatch_reports_flips_and_the_baselines_run_through_Loss()
    {
        var r = _m.Run($$"""
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 192
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 150
            $p = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.95
            $ce = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss CrossEntropy
            $pct = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss PositiveCongruent -LearningRate 0.001 -FocalBeta 2
            $mix = $p | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -TeacherInputs Mixup -LearningRateSchedule Cosine
            $m = $ce | Measure-Mismatch -Data $val
            [pscustomobject]@{
                Nf = $m.NegativeFlips; RefRight = $m.MismatchesReferenceRight; Nfr = $m.NegativeFlipRate; Samples = $m.Samples
                Pf = $m.PositiveFlips; Mismatches = $m.Mismatches; Classes = $m.PerClass.Count
                ClassNf = [Linq.Enumerable]::Sum([int[]]@($m.PerClass | ForEach-Object { $_.NegativeFlips }))
                PctTerms = $pct.History[-1].Results['terms'] -join ','; Beta = $pct.History[-1].Settings['focal-beta']
                LastRate = $mix.History[-1].Results['epochs'][1]['learning-rate']
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(o.Prop<int>("RefRight"), o.Prop<int>("Nf"));
        Assert.Equal(o.Prop<int>("Nf") / (double)o.Prop<int>("Samples"), o.Prop<double>("Nfr"), 12);
        Assert.True(o.Prop<int>("Pf") + o.Prop<int>("Nf") <= o.Prop<int>("Mismatches"));
        Assert.Equal(10, o.Prop<int>("Classes"));
        Assert.Equal(o.Prop<int>("Nf"), o.Prop<int>("ClassNf"));
        Assert.Equal("cross-entropy,focal-distillation", o.Prop<string>("PctTerms"));
        Assert.Equal(2.0, o.Prop<double>("Beta"));
        Assert.True(o.Prop<double>("LastRate") < 0.01);
    }

    [Fact]
    public void Loss_terms_given_as_one_comma_separated_string_are_the_same_terms()
    {
        var r = _m.Run($$"""
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 64
            $ref = New-Model lenet5 -Seed 2
            $t = $ref | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Loss 'CrossEntropy, TeacherLabel' -LossWeights 1, 2
            $t.History[-1].Settings['loss']
            """);
        r.AssertSucceeded();
        Assert.Equal("cross-entropy,teacher-label", r.Output.Single().BaseObject);
    }

    [Fact]
    public void Classes_beyond_the_model_outputs_fail_before_training()
    {
        var r = _m.Run($$"""
            $d = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 10
            New-Model lenet5 -NumClasses 5 -Seed 1 | Start-LabelPreservingRetrain -Data $d -Loss CrossEntropy
            """);
        Assert.Equal("DatasetClassesDoNotFitModel,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand", r.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void The_demo_runs_quick_and_prints_the_table()
    {
        var script = Path.Combine(_m.RepoRoot, "examples", "mnist-label-preserving.ps1").Replace("'", "''");
        var r = _m.Run($"& '{script}' -Quick -PassThru");
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(1, o.Prop<int>("Seeds"));
        foreach (var method in new[] { "cross-entropy", "distillation", "focal distillation", "label-preserving" })
            Assert.Contains(method, r.HostText);
        Assert.Contains("negative flips", r.HostText);
        Assert.Contains("Label-preserving against cross-entropy:", r.HostText);
        var summary = ((System.Collections.IEnumerable)o.Prop<object>("Summary")).Cast<object>().Select(x => PSObject.AsPSObject(x)).ToList();
        Assert.Equal(4, summary.Count);
        Assert.All(summary, row => Assert.InRange(row.Prop<double>("Mismatches"), 0, 500));
        var quiet = _m.Run($"& '{script}' -Quick");
        quiet.AssertSucceeded();
        Assert.Empty(quiet.Output); // without -PassThru the demo only prints
    }
}
