using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

[Collection(ModuleCollection.Name)]
public class StrategyWithDataTests
{
    private readonly ModuleSession _m;
    public StrategyWithDataTests(ModuleSession m) => _m = m;

    private string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file).Replace("'", "''");

    [Fact]
    public void Label_preserving_strategy_retrains_on_its_data_and_records_mismatches()
    {
        var r = _m.Run($$"""
            $train = Import-Dataset '{{Mnist("train-images-idx3-ubyte.gz")}}' -First 512
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 128
            $reference = New-Model lenet5 -Seed 7 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 1
            $out = Invoke-CompressionStrategy -Path '{{Path.Combine(_m.RepoRoot, "examples", "strategies", "prune95-label-preserving.yaml")}}' `
                -Model $reference -Data $train -ValidationData $val -Parameters @{ epochs = 1 }
            $direct = Measure-Mismatch -Reference $reference -Compressed $out -Data $val
            $last = $out.History[$out.History.Count - 1]
            [pscustomobject]@{
                Steps = ($out.History | ForEach-Object { $_.Operation }) -join ','
                Recorded = $last.Results['mismatches']
                Direct = $direct.Mismatches
                Samples = $last.Results['samples']
                Sparsity = $out.Sparsity
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("retrain,prune,retrain,measure", o.Prop<string>("Steps"));
        Assert.Equal(128, o.Prop<int>("Samples"));
        Assert.Equal(o.Prop<int>("Direct"), o.Prop<int>("Recorded"));
        Assert.True(o.Prop<double>("Sparsity") > 0.9);
    }

    [Fact]
    public void Mismatch_without_data_says_what_is_missing()
    {
        var dir = _m.NewTempFolder();
        var path = Path.Combine(dir, "m.yaml");
        File.WriteAllText(path, "version: 1\nname: m\nsteps:\n  - measure: { mismatch: true, iterations: 1, training: false }\n");
        var r = _m.Run($"New-Model lenet5 -Seed 7 | Invoke-Prune -Ratio 0.5 | Invoke-CompressionStrategy -Path '{path}'");
        var e = r.SingleError();
        Assert.StartsWith("MeasureMismatchNeedsData", e.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
    }

    [Fact]
    public void Measure_Model_times_on_real_samples_with_Data()
    {
        var r = _m.Run($$"""
            $val = Import-Dataset '{{Mnist("val-images-idx3-ubyte.gz")}}' -First 32
            New-Model lenet5 -Seed 1 | Measure-Model -Data $val -BatchSize 8 -Iterations 2 -Warmup 0 -SkipTraining
            """);
        r.AssertSucceeded();
        var m = r.Output.Single();
        Assert.Equal(new long[] { 1, 28, 28 }, m.Prop<long[]>("InputShape"));
        Assert.True(m.Prop<double>("Throughput") > 0);
    }
}
