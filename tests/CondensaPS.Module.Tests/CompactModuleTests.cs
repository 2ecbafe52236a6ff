using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

[Collection(ModuleCollection.Name)]
public class CompactModuleTests
{
    private readonly ModuleSession _m;
    public CompactModuleTests(ModuleSession m) => _m = m;

    private string Fixture(string name) => Path.Combine(_m.RepoRoot, "tests", "fixtures", name);

    [Fact]
    public void Export_Compact_Report_and_Import_round_trip_exactly()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 4 -Name lenet-c
            $report = $m | Export-Model -Path (Join-Path $dir 'm.cpz') -Format Compact -Report
            $back = Import-Model -Path (Join-Path $dir 'm.cpz')
            $again = $back | Export-Model -Path (Join-Path $dir 'n.cpz') -PassThru
            $x = [TorchSharp.torch]::randn([long[]](3, 1, 28, 28))
            [pscustomobject]@{
                Format = "$($report.Format)"; Bytes = $report.Bytes; DenseBytes = $report.DenseBytes; Ratio = $report.CompressionRatio
                ModelDense = $m.DenseBytes; Name = $back.Name; Spec = "$($back.Spec)"; SpecIn = "$($m.Spec)"
                SameObject = [object]::ReferenceEquals($back, $again)
                SameOutputs = [TorchSharp.TensorExtensionMethods]::ToBoolean($m.Forward($x).eq($back.Forward($x)).all())
            }
            """, new Dictionary<string, object?> { ["dir"] = dir });
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("Compact", o.Prop<string>("Format"));
        Assert.Equal(new FileInfo(Path.Combine(dir, "m.cpz")).Length, o.Prop<long>("Bytes"));
        Assert.Equal(o.Prop<long>("ModelDense"), o.Prop<long>("DenseBytes"));
        Assert.Equal((double)o.Prop<long>("DenseBytes") / o.Prop<long>("Bytes"), o.Prop<double>("Ratio"), 10);
        Assert.Equal("lenet-c", o.Prop<string>("Name"));
        Assert.Equal(o.Prop<string>("SpecIn"), o.Prop<string>("Spec"));
        Assert.True(o.Prop<bool>("SameObject"));
        Assert.True(o.Prop<bool>("SameOutputs"));
        Assert.True(File.Exists(Path.Combine(dir, "n.cpz")), ".cpz picks the compact format by extension");
    }

    [Fact]
    public void ExcludeHistory_leaves_the_history_out_of_compact_files_only()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Ratio 0.9 | Invoke-Quantize -Type Cluster -Bits 4
            $with = $m | Export-Model -Path (Join-Path $dir 'with.cpz') -Report
            $without = $m | Export-Model -Path (Join-Path $dir 'without.cpz') -ExcludeHistory -Report
            $back = Import-Model -Path (Join-Path $dir 'without.cpz')
            [pscustomobject]@{ With = $with.Bytes; Without = $without.Bytes; Steps = $back.History.Count; DType = $back.DType }
            """, new Dictionary<string, object?> { ["dir"] = dir });
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.True(o.Prop<long>("Without") < o.Prop<long>("With"));
        Assert.Equal(0, o.Prop<int>("Steps"));
        Assert.Equal("cluster4", o.Prop<string>("DType"));
        var bad = _m.Run("New-Model -Architecture mlp | Export-Model -Path (Join-Path $dir 'm.safetensors') -ExcludeHistory", new Dictionary<string, object?> { ["dir"] = dir });
        Assert.StartsWith("ExcludeHistoryNeedsCompact", bad.SingleError().FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(dir, "m.safetensors")));
    }

    [Fact]
    public void A_TorchScript_model_round_trips_through_the_compact_format()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            $m = Import-Model -Path $fixture
            $m | Export-Model -Path (Join-Path $dir 'ts.cpz')
            $back = Import-Model -Path (Join-Path $dir 'ts.cpz')
            $x = [TorchSharp.torch]::randn([long[]](2, 1, 8, 8))
            [pscustomobject]@{
                IsTorchScript = $back.IsTorchScript
                SameOutputs = [TorchSharp.TensorExtensionMethods]::ToBoolean($m.Forward($x).eq($back.Forward($x)).all())
            }
            """, new Dictionary<string, object?> { ["dir"] = dir, ["fixture"] = Fixture("compact/tiny_convnet.pt") });
        r.AssertSucceeded();
        Assert.True(r.Output.Single().Prop<bool>("IsTorchScript"));
        Assert.True(r.Output.Single().Prop<bool>("SameOutputs"));
    }

    [Fact]
    public void Bad_compact_files_give_their_ErrorIds_and_no_model()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            New-Model -Architecture mlp -Seed 1 | Export-Model -Path (Join-Path $dir 'good.cpz')
            """, new Dictionary<string, object?> { ["dir"] = dir });
        r.AssertSucceeded();
        var good = File.ReadAllBytes(Path.Combine(dir, "good.cpz"));
        File.WriteAllBytes(Path.Combine(dir, "truncated.cpz"), good[..(good.Length / 2)]);
        var corrupted = (byte[])good.Clone();
        corrupted[good.Length - 10] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(dir, "corrupted.cpz"), corrupted);
        var future = (byte[])good.Clone();
        future[8] = 7;
        File.WriteAllBytes(Path.Combine(dir, "future.cpz"), future);
        foreach (var (file, id) in new[] { ("truncated.cpz", "CompactTruncated"), ("corrupted.cpz", "CompactChecksumMismatch"), ("future.cpz", "CompactVersionUnsupported") })
        {
            var bad = _m.Run("Import-Model -Path $p", new Dictionary<string, object?> { ["p"] = Path.Combine(dir, file) });
            Assert.Empty(bad.Output);
            Assert.StartsWith(id + ",", bad.SingleError().FullyQualifiedErrorId);
        }
    }

    [Fact]
    public void Measure_Model_reports_sane_figures_and_reference_columns()
    {
        var r = _m.Run("""
            $ref = New-Model -Architecture lenet5 -Seed 1 -Name ref
            $m = New-Model -Architecture lenet5 -Seed 2 -Name other
            $m | Measure-Model -BatchSize 4 -Iterations 4 -Warmup 1
            Measure-Model -Model $m -Reference $ref -BatchSize 4 -Iterations 4 -Warmup 0 -SkipTraining
            """);
        r.AssertSucceeded();
        var plain = r.Output[0];
        Assert.True(plain.Prop<double>("LatencyP50Ms") > 0);
        Assert.True(plain.Prop<double>("LatencyP50Ms") <= plain.Prop<double>("LatencyP95Ms"));
        Assert.True(plain.Prop<double>("Throughput") > 0);
        Assert.True(plain.Prop<double>("TrainingThroughput") > 0);
        Assert.True(plain.Prop<long>("CompactBytes") > 0);
        Assert.Null(plain.Properties["Speedup"].Value);
        var withRef = r.Output[1];
        Assert.Equal("ref", withRef.Prop<string>("Reference"));
        Assert.True(withRef.Prop<double>("Speedup") > 0);
        Assert.True(withRef.Prop<double>("SizeRatio") > 0);
        Assert.Null(withRef.Properties["TrainingThroughput"].Value);
    }

    [Fact]
    public void Measure_Model_view_renders_and_TorchScript_needs_an_input_shape()
    {
        var r = _m.Run("New-Model -Architecture mlp -Seed 1 -Name viewed | Measure-Model -Iterations 2 -Warmup 0 -SkipTraining", render: true);
        r.AssertSucceeded();
        Assert.Contains("P50ms", r.HostText);
        Assert.Contains("viewed", r.HostText);
        var bad = _m.Run("Import-Model -Path $p | Measure-Model -Iterations 2", new Dictionary<string, object?> { ["p"] = Fixture("compact/tiny_convnet.pt") });
        Assert.StartsWith("InputShapeRequired,", bad.SingleError().FullyQualifiedErrorId);
        var ok = _m.Run("Import-Model -Path $p | Measure-Model -InputShape 1,8,8 -Iterations 2 -Warmup 0", new Dictionary<string, object?> { ["p"] = Fixture("compact/tiny_convnet.pt") });
        ok.AssertSucceeded();
        Assert.Equal(new long[] { 1, 8, 8 }, ok.Output.Single().Prop<long[]>("InputShape"));
    }

    [Fact]
    public void Report_and_PassThru_cannot_be_combined()
    {
        var r = _m.Run("New-Model -Architecture mlp | Export-Model -Path (Join-Path $dir 'x.cpz') -Report -PassThru", new Dictionary<string, object?> { ["dir"] = _m.NewTempFolder() });
        Assert.StartsWith("AmbiguousParameterSet,", r.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Compact_footprint_example_runs()
    {
        var r = _m.RunFile(Path.Combine(_m.RepoRoot, "examples", "compact-footprint.ps1"), _m.NewTempFolder());
        r.AssertSucceeded();
        Assert.Contains("Wrote ", r.HostText);
        Assert.Contains("Read back lenet5-90-fp16: lenet5, float16, sparsity", r.HostText);
        Assert.Contains("history: prune | quantize", r.HostText);
        Assert.Contains("Footprint: ", r.HostText);
        Assert.Contains("Measured lenet5-90-fp16: p50", r.HostText);
        Assert.Contains("vs lenet5-dense", r.HostText);
    }
}
