using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Ctrl+C (PowerShell.Stop, which calls StopProcessing) ends a long cmdlet at a batch boundary, returns
/// nothing half-done, and leaves the input model as it was.</summary>
[Collection(ModuleCollection.Name)]
public class StopProcessingTests
{
    private readonly ModuleSession _m;
    public StopProcessingTests(ModuleSession m) => _m = m;

    [Fact]
    public void Stopping_a_retrain_returns_nothing_and_leaves_the_input_untouched()
    {
        var mnist = Path.Combine(_m.RepoRoot, "data", "mnist", "train-images-idx3-ubyte.gz").Replace("'", "''");
        var setup = _m.Run($"""
            $stopData = Import-Dataset '{mnist}' -First 2000
            $stopModel = New-Model lenet5 -Seed 11 | Invoke-Prune -Ratio 0.5
            $stopSnapshot = $stopModel.Clone()
            """);
        setup.AssertSucceeded();

        using (var ps = PowerShell.Create(_m.Session.Runspace))
        {
            ps.AddScript("$stopModel | Start-LabelPreservingRetrain -Data $stopData -Loss CrossEntropy -Epochs 200 -BatchSize 16");
            using var progress = new ManualResetEventSlim();
            ps.Streams.Progress.DataAdded += (_, _) => progress.Set();
            var output = new PSDataCollection<PSObject>();
            var async = ps.BeginInvoke<PSObject, PSObject>(null, output);
            Assert.True(progress.Wait(TimeSpan.FromSeconds(60)), "no progress was reported");
            Thread.Sleep(300);
            ps.Stop();
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.Empty(output);
        }

        var after = _m.Run("""
            [pscustomobject]@{
                History = $stopModel.History.Count
                Differences = [CondensaPS.Engine.Models.ModelComparison]::Differences($stopSnapshot, $stopModel).Count
            }
            $stopSnapshot.Dispose()
            """);
        after.AssertSucceeded();
        Assert.Equal(1, after.Output.Single().Prop<int>("History"));
        Assert.Equal(0, after.Output.Single().Prop<int>("Differences"));
    }
}
