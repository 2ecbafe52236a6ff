using System.Management.Automation;
using CondensaPS.Host;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

[Collection(ModuleCollection.Name)]
public class CompressionCmdletTests
{
    private readonly ModuleSession _m;
    public CompressionCmdletTests(ModuleSession m) => _m = m;

    [Fact]
    public void Invoke_Prune_returns_a_new_model_with_exact_sparsity_and_leaves_the_input()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 3
            $p = $m | Invoke-Prune -Ratio 0.75
            $layers = @($p | Get-ModelLayer)
            $n = 0; $z = 0; foreach ($l in $layers) { $n += $l.Parameters; $z += $l.Parameters - $l.NonZeros }
            [pscustomobject]@{ N = $n; Zeros = $z; InputSparsity = $m.Sparsity; Steps = $p.History.Count; Same = [object]::ReferenceEquals($p.Reference, $m); Method = $p.History[0].Settings['method']; Scope = $p.History[0].Settings['scope']; Masked = @($layers | Where-Object Masked).Count; Kind = $layers[0].Kind }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        long n = o.Prop<long>("N");
        Assert.Equal((long)Math.Round(0.75 * n, MidpointRounding.ToEven), o.Prop<long>("Zeros"));
        Assert.Equal(0.0, o.Prop<double>("InputSparsity"));
        Assert.Equal(1, o.Prop<int>("Steps"));
        Assert.True(o.Prop<bool>("Same"));
        Assert.Equal("magnitude", o.Prop<string>("Method"));
        Assert.Equal("global", o.Prop<string>("Scope"));
        Assert.Equal(5, o.Prop<int>("Masked"));
        Assert.Equal("conv", o.Prop<string>("Kind"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    public void Ratio_outside_0_1_is_a_parameter_validation_error(string ratio)
    {
        var r = _m.Run($"New-Model -Architecture mlp | Invoke-Prune -Ratio {ratio}");
        var e = r.SingleError();
        Assert.StartsWith("ParameterArgumentValidationError", e.FullyQualifiedErrorId);
    }

    [Fact]
    public void Structured_methods_and_their_settings_are_recorded()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 4
            $f = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Criterion L2 -Align 4
            $nm = $m | Invoke-Prune -Method NM -N 2 -M 4 -WarningAction SilentlyContinue
            $b = $m | Invoke-Prune -Ratio 0.5 -Method Block -BlockSize 2,2 -Include 'fc*'
            $f.History[0].ToString(); $nm.History[0].ToString(); $b.History[0].ToString()
            @($nm | Get-ModelLayer 'fc1*')[0].Sparsity
            """);
        r.AssertSucceeded();
        var lines = r.Output.Select(o => o.BaseObject.ToString()).ToList();
        Assert.Equal("prune (ratio=0.5, method=filter, criterion=l2, align=4)", lines[0]);
        Assert.Equal("prune (method=nm, n=2, m=4)", lines[1]);
        Assert.Equal("prune (ratio=0.5, method=block, block-size=[2,2], include=[fc*])", lines[2]);
        Assert.Equal(0.5, r.Output[3].Base<double>());
    }

    [Fact]
    public void Settings_that_do_not_fit_the_method_are_errors()
    {
        var r = _m.Run("New-Model -Architecture mlp | Invoke-Prune -Ratio 0.5 -Criterion L2");
        Assert.Equal("InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand", r.SingleError().FullyQualifiedErrorId);
        r = _m.Run("New-Model -Architecture mlp | Invoke-Prune -Method Filter");
        Assert.Equal("RatioRequired,CondensaPS.Cmdlets.InvokePruneCommand", r.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void Invoke_Quantize_int8_and_float16()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 5
            $q = $m | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type Int8 -Granularity PerTensor
            $h = $m | Invoke-Quantize -Type Float16
            [pscustomobject]@{ Q = $q.DType; H = $h.DType; QSparsity = $q.Sparsity; Layer = @($q | Get-ModelLayer)[0].DType; Bytes = @($q | Get-ModelLayer)[0].Bytes; Setting = $q.History[1].Settings['granularity']; M = $m.DType }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("int8", o.Prop<string>("Q"));
        Assert.Equal("float16", o.Prop<string>("H"));
        Assert.Equal("float32", o.Prop<string>("M"));
        Assert.Equal("int8", o.Prop<string>("Layer"));
        Assert.Equal(6 * 25 + 4, o.Prop<long>("Bytes"));
        Assert.Equal("per-tensor", o.Prop<string>("Setting"));
        Assert.True(o.Prop<double>("QSparsity") > 0.4);
    }

    [Fact]
    public void Invoke_Quantize_Cluster_shares_weights_and_shows_its_bits()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 5
            $c = $m | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Cluster -Bits 3 -Initialization Density
            $d = $m | Invoke-Quantize -Type Cluster
            $layer = @($c | Get-ModelLayer)[1]
            [pscustomobject]@{ C = $c.DType; D = $d.DType; Bits = $layer.Bits; LayerType = $layer.DType; Bytes = $layer.Bytes; Init = $c.History[1].Settings['initialization']; DBits = $d.History[0].Settings['bits'] }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("cluster3", o.Prop<string>("C"));
        Assert.Equal("cluster5", o.Prop<string>("D"));
        Assert.Equal(3, o.Prop<int>("Bits"));
        Assert.Equal("cluster3", o.Prop<string>("LayerType"));
        Assert.Equal((6L * 16 * 25 * 3 + 7) / 8 + 8 * 4, o.Prop<long>("Bytes"));
        Assert.Equal("density", o.Prop<string>("Init"));
        Assert.Equal(5L, o.Prop<long>("DBits"));
        var view = _m.Run("New-Model -Architecture lenet5 -Seed 5 | Invoke-Quantize -Type Cluster -Bits 3 | Get-ModelLayer", render: true);
        view.AssertSucceeded();
        Assert.Contains("Bits", view.HostText);
        Assert.Contains("cluster3", view.HostText);
    }

    [Theory]
    [InlineData("-Bits 9", "ParameterArgumentValidationError")]
    [InlineData("-Bits 1", "ParameterArgumentValidationError")]
    [InlineData("-Bits 8 -Include conv1.bias", "InvalidStepSetting")]
    [InlineData("-Type Int8 -Bits 4", "InvalidStepSetting")]
    public void Bad_cluster_settings_are_parameter_errors_naming_the_value(string arguments, string errorId)
    {
        var type = arguments.Contains("-Type") ? "" : "-Type Cluster ";
        var r = _m.Run($"New-Model -Architecture lenet5 | Invoke-Quantize {type}{arguments}");
        var e = r.SingleError();
        Assert.StartsWith(errorId, e.FullyQualifiedErrorId);
        if (errorId == "InvalidStepSetting") Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        var value = arguments.Split(' ')[^1] == "conv1.bias" ? "8" : arguments.Split(' ')[arguments.Split(' ').ToList().IndexOf("-Bits") + 1];
        Assert.Contains(value, e.Exception.Message);
    }

    [Fact]
    public void Invoke_Factorize_makes_thinner_layers_and_Measure_Model_counts_their_MACs()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5-caffe -Seed 1
            $f = $m | Invoke-Factorize -Rank 10 -Include conv2.weight, fc1.weight
            $e = $m | Invoke-Factorize -Energy 0.5 -Method Svd -Include conv2.weight
            $r = $f | Measure-Model -Reference $m -Iterations 2 -Warmup 0 -SkipTraining
            [pscustomobject]@{ Layers = @($f | Get-ModelLayer).Parameter -join ','; Macs = $r.Macs; RefMacs = $r.ReferenceMeasurement.Macs; Kind = $e.History[-1].Results['layers'][0]['kind']; Parts = @($e | Get-ModelLayer -Name 'conv2*').Count }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("conv1.weight,conv2.0.weight,conv2.1.weight,conv2.2.weight,fc1.0.weight,fc1.1.weight,fc2.weight", o.Prop<string>("Layers"));
        Assert.Equal(2_293_000L, o.Prop<long>("RefMacs"));
        Assert.Equal(288_000L + 28_800 + 160_000 + 32_000 + 8_000 + 5_000 + 5_000, o.Prop<long>("Macs"));
        Assert.Equal("svd", o.Prop<string>("Kind"));
        Assert.Equal(2, o.Prop<int>("Parts"));
        var bad = _m.Run("New-Model -Architecture lenet5-caffe | Invoke-Factorize -Rank 600 -Include fc1.weight");
        var e = bad.SingleError();
        Assert.StartsWith("InvalidStepSetting", e.FullyQualifiedErrorId);
        Assert.Contains("600", e.Exception.Message);
        var view = _m.Run("New-Model -Architecture lenet5-caffe -Seed 1 | Measure-Model -Iterations 2 -Warmup 0 -SkipTraining", render: true);
        view.AssertSucceeded();
        Assert.Contains("MMACs", view.HostText);
        Assert.Contains("2.29", view.HostText);
    }

    [Fact]
    public void Stochastic_rounding_and_master_weights_are_retrain_settings()
    {
        var r = _m.Run("""
            $data = Import-Dataset -Path $images -First 64
            $m = New-Model -Architecture lenet5 -Seed 1 | Invoke-Quantize -Type BFloat16
            $t = $m | Start-LabelPreservingRetrain -Data $data -Loss CrossEntropy -Epochs 1 -Rounding Stochastic -NoMasterWeights -Seed 2
            [pscustomobject]@{ Rounding = $t.History[-1].Settings['rounding']; Masters = $t.History[-1].Settings['master-weights']; DType = $t.DType }
            """, new Dictionary<string, object?> { ["images"] = Path.Combine(_m.RepoRoot, "data", "mnist", "train-images-idx3-ubyte.gz") });
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("stochastic", o.Prop<string>("Rounding"));
        Assert.False(o.Prop<bool>("Masters"));
        Assert.Equal("bfloat16", o.Prop<string>("DType"));
    }

    [Fact]
    public void Export_Strategy_then_Invoke_CompressionStrategy_replays_identically()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 6
            $c = $m | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Float16
            $file = $c | Export-Strategy -Path (Join-Path $dir 's.yaml')
            try { $c | Export-Strategy -Path (Join-Path $dir 's.yaml') -ErrorAction Stop } catch { $exists = @($_) }
            $r = Invoke-CompressionStrategy -Path $file.FullName -Model $m
            $a = @($c | Get-ModelLayer -All); $b = @($r | Get-ModelLayer -All)
            $diff = 0; for ($i = 0; $i -lt $a.Count; $i++) { if ($a[$i].NonZeros -ne $b[$i].NonZeros) { $diff++ } }
            [pscustomobject]@{ Diff = $diff; Steps = $r.History.Count; DType = $r.DType; Sparsity = $r.Sparsity -eq $c.Sparsity; Exists = $exists[0].FullyQualifiedErrorId; Name = $file.Name }
            Test-Strategy -Path $file.FullName
            """, new Dictionary<string, object?> { ["dir"] = dir });
        r.AssertSucceeded();
        var o = r.Output[0];
        Assert.Equal(0, o.Prop<int>("Diff"));
        Assert.Equal(2, o.Prop<int>("Steps"));
        Assert.Equal("float16", o.Prop<string>("DType"));
        Assert.True(o.Prop<bool>("Sparsity"));
        Assert.StartsWith("OutputExists", o.Prop<string>("Exists"));
        var info = r.Output[1];
        Assert.Equal("s", info.Prop<string>("Name"));
        Assert.Equal(2, info.Prop<string[]>("Steps").Length);
        Assert.Contains("ratio: 0.8", File.ReadAllText(Path.Combine(dir, "s.yaml")));
    }

    [Fact]
    public void Strategies_take_a_model_path_and_parameters_and_WhatIf_writes_nothing()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run("""
            $m = New-Model -Architecture mlp -Seed 7
            $path = Join-Path $dir 'mlp.pt'
            $m | Export-Model -Path $path
            $c = Invoke-CompressionStrategy -Path $strategy -Model $path -Architecture mlp -Parameters @{ ratio = 0.5 }
            $c.History[0].Settings['ratio']
            $c | Export-Strategy -Path (Join-Path $dir 'w.yaml') -WhatIf
            Test-Path (Join-Path $dir 'w.yaml')
            """, new Dictionary<string, object?> { ["dir"] = dir, ["strategy"] = Path.Combine(_m.RepoRoot, "examples", "strategies", "prune80-fp16.yaml") });
        r.AssertSucceeded();
        Assert.Equal(0.5, r.Output[0].Base<double>());
        Assert.False(r.Output[1].Base<bool>());
    }

    [Theory]
    [InlineData("version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5, colour: red }\n", "StrategyUnknownSetting", ":4:26:")]
    [InlineData("version: 3\nname: x\nsteps:\n  - prune: { ratio: 0.5 }\n", "StrategyVersion", ":1:10:")]
    [InlineData("version: 1\nname: x\nsteps:\n  - shrink: {}\n", "StrategyUnknownStep", ":4:5:")]
    public void Bad_strategies_are_errors_with_file_line_and_column(string yaml, string errorId, string position)
    {
        var dir = _m.NewTempFolder();
        var path = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(path, yaml);
        var r = _m.Run("Test-Strategy -Path $p", new Dictionary<string, object?> { ["p"] = path });
        var e = r.SingleError();
        Assert.Equal($"{errorId},CondensaPS.Cmdlets.TestStrategyCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        Assert.Contains(path + position, e.Exception.Message);
        r = _m.Run("New-Model -Architecture mlp | Invoke-CompressionStrategy -Path $p", new Dictionary<string, object?> { ["p"] = path });
        Assert.Equal($"{errorId},CondensaPS.Cmdlets.InvokeCompressionStrategyCommand", r.SingleError().FullyQualifiedErrorId);
    }

    [Theory]
    [InlineData("prune80-fp16.yaml")]
    [InlineData("nm24-int8.yaml")]
    [InlineData("filter50-keep-edges.yaml")]
    public void Example_strategies_run_from_the_module(string file)
    {
        var r = _m.Run("New-Model -Architecture lenet5 -Seed 8 | Invoke-CompressionStrategy -Path $p -WarningAction SilentlyContinue",
            new Dictionary<string, object?> { ["p"] = Path.Combine(_m.RepoRoot, "examples", "strategies", file) });
        r.AssertSucceeded();
        Assert.True(r.Output.Single().Prop<double>("Sparsity") > 0.05);
    }

    [Fact]
    public void Prune_and_quantize_example_runs()
    {
        var r = _m.RunFile(Path.Combine(_m.RepoRoot, "examples", "prune-and-quantize.ps1"), _m.NewTempFolder());
        r.AssertSucceeded();
        Assert.Contains("same non-zeros in every layer", r.HostText);
        Assert.Contains("fc1.weight", r.HostText);
    }

    [Fact]
    public async Task Condensa_runs_a_yaml_strategy_on_a_model_file()
    {
        var dir = _m.NewTempFolder();
        var model = Path.Combine(dir, "lenet.pt");
        _m.Run("New-Model -Architecture lenet5 -Seed 9 | Export-Model -Path $p", new Dictionary<string, object?> { ["p"] = model }).AssertSucceeded();
        var output = Path.Combine(dir, "out.pt");
        var o = new StringWriter(); var e = new StringWriter();
        var code = await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune80-fp16.yaml"), "--model", model,
            "--architecture", "lenet5", "--set", "ratio=0.9", "--output", output }, o, e);
        Assert.True(code == 0, e.ToString());
        Assert.True(File.Exists(output));
        Assert.Contains("prune (ratio=0.9, method=magnitude, scope=global)", o.ToString());
        Assert.Contains("Wrote " + output, o.ToString());
        var check = _m.Run("(Import-Model -Path $p -Architecture lenet5).Sparsity", new Dictionary<string, object?> { ["p"] = output });
        check.AssertSucceeded();
        Assert.True(check.Output.Single().Base<double>() > 0.85);
        Assert.Equal(2, await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune80-fp16.yaml") }, o, e));
        Assert.Equal(1, await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune80-fp16.yaml"), "--model", model, "--set", "raito=1" }, o, e));
    }
}
