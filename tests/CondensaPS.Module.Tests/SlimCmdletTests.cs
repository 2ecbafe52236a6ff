using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Invoke-Prune -Slim and -MaxLayerSparsity as a pwsh user runs them.</summary>
[Collection(ModuleCollection.Name)]
public class SlimCmdletTests
{
    private readonly ModuleSession _m;
    public SlimCmdletTests(ModuleSession m) => _m = m;

    private string LeNet => Path.Combine(_m.RepoRoot, "tests", "fixtures", "lenet5_scripted.pt").Replace("'", "''");

    [Fact]
    public void Invoke_Prune_Slim_removes_filters_and_reports_each_layer()
    {
        var r = _m.Run($$"""
            $m = Import-Model '{{LeNet}}'
            $s = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
            $rows = $s.History[-1].Results['layers']
            [pscustomobject]@{
                Before = $m.Parameters; After = $s.Parameters; MacsBefore = $s.History[-1].Results['macs-before']; Macs = $s.Macs
                Rows = @($rows).Count; Conv1 = ($rows | Where-Object Layer -eq 'conv1').OutAfter; Fc1In = ($rows | Where-Object Layer -eq 'fc1').InAfter
                Setting = $s.History[-1].ToString()
            }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        // Filter slimming halves the convolutions; fc1 reads half as many 5x5 blocks (its rows stay: method neuron slims those).
        Assert.Equal(61_706 - (156 - 78) - (2_416 - 608) - 200 * 120, o.Prop<long>("After"));
        Assert.Equal(416_520, o.Prop<long>("MacsBefore"));
        Assert.True(o.Prop<long>("Macs") < 416_520 / 2);
        Assert.Equal(5, o.Prop<int>("Rows"));
        Assert.Equal(3, o.Prop<long>("Conv1"));
        Assert.Equal(200, o.Prop<long>("Fc1In"));
        Assert.Equal("prune (ratio=0.5, method=filter, slim=True, input-shape=[1,28,28])", o.Prop<string>("Setting"));
        // The format views: a row per layer, and the model with its MACs.
        var shown = _m.Run("$s.History[-1].Results['layers']; $s", render: true);
        shown.AssertSucceeded();
        Assert.Contains("6 -> 3", shown.HostText);
        Assert.Contains("removed 3 of 6 filters", shown.HostText);
        Assert.Contains("MACs", shown.HostText);
    }

    [Fact]
    public void Slim_without_an_input_shape_for_TorchScript_is_an_error_with_its_id()
    {
        var r = _m.Run($"Import-Model '{LeNet}' | Invoke-Prune -Ratio 0.5 -Method Filter -Slim");
        Assert.Equal("InputShapeRequired,CondensaPS.Cmdlets.InvokePruneCommand", r.SingleError().FullyQualifiedErrorId);
        r = _m.Run($"Import-Model '{LeNet}' | Invoke-Prune -Ratio 0.5 -Slim -InputShape 1,28,28");
        Assert.Equal("InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand", r.SingleError().FullyQualifiedErrorId);
        r = _m.Run($"Import-Model '{LeNet}' | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InPlace -InputShape 1,28,28");
        Assert.Equal("InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand", r.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void MaxLayerSparsity_caps_every_layer_and_an_emptied_layer_warns()
    {
        var r = _m.Run("""
            $m = New-Model -Architecture lenet5 -Seed 3
            $w = $null
            $p = $m | Invoke-Prune -Ratio 0.99 -Method Filter -WarningVariable w -WarningAction SilentlyContinue
            $c = $m | Invoke-Prune -Ratio 0.9 -Scope Layer -MaxLayerSparsity 0.5
            $max = 0; foreach ($l in @($c | Get-ModelLayer)) { if ($l.Sparsity -gt $max) { $max = $l.Sparsity } }
            [pscustomobject]@{ Warning = "$w"; Max = $max }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Contains("conv1.weight", o.Prop<string>("Warning"));
        Assert.Contains("-MaxLayerSparsity", o.Prop<string>("Warning"));
        Assert.InRange(o.Prop<double>("Max"), 0.49, 0.5);
    }
}
