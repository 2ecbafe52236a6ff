using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Execution;

/// <summary>
/// The frame both worker jobs run in (<see cref="WorkerJobRun"/>), with a real trial spec and result and the job's work
/// given inline: a success is timed and signed, a failure is recorded with its ErrorId, and a cancelled job leaves no
/// result, so that its caller runs it again rather than keeping a failure that says nothing about the job.
/// </summary>
public class WorkerJobRunTests
{
    private static string Spec()
    {
        var folder = TestPaths.NewTempFolder();
        var path = Path.Combine(folder, TrialSpec.FileName);
        new TrialSpec { Search = "t", Number = 7, Strategy = "s.yaml", Model = "m.cpz", Parameters = new OrderedSettings() }.Write(path);
        return path;
    }

    private static string ResultOf(string spec) => Path.Combine(Path.GetDirectoryName(spec)!, TrialResult.FileName);

    private static int Run(string spec, Func<TrialResult> work, List<string>? log = null) =>
        WorkerJobRun.Run(spec, new OperationContext { Verbose = m => log?.Add(m) }, TrialSpec.Read, (_, _) => work(), _ => new TrialResult { Succeeded = false });

    [Fact]
    public void A_job_that_succeeds_exits_0_with_its_result_timed_and_signed()
    {
        var spec = Spec();
        Assert.Equal(0, Run(spec, () => { Thread.Sleep(20); return new TrialResult { Succeeded = true, Model = "model.cpz" }; }));
        var r = TrialResult.Read(ResultOf(spec));
        Assert.True(r.Succeeded);
        Assert.Equal("model.cpz", r.Model);
        Assert.Null(r.ErrorId);
        Assert.True(r.Elapsed >= TimeSpan.FromMilliseconds(20), r.Elapsed.ToString());
        Assert.Equal($"pid {Environment.ProcessId} on {Environment.MachineName}", r.Worker);
    }

    [Fact]
    public void A_job_that_throws_exits_1_with_the_ErrorId_of_an_engine_error_or_the_exception_type()
    {
        var spec = Spec();
        var log = new List<string>();
        Assert.Equal(1, Run(spec, () => throw new EngineException("SomethingSpecific", EngineErrorKind.InvalidData, "the data is bad"), log));
        var r = TrialResult.Read(ResultOf(spec));
        Assert.Equal((false, "SomethingSpecific", "the data is bad"), (r.Succeeded, r.ErrorId, r.Error));
        Assert.Contains("pid", r.Worker);
        Assert.Contains(log, l => l.StartsWith("Trial 7 failed: ", StringComparison.Ordinal));

        Assert.Equal(1, Run(spec, () => throw new InvalidOperationException("no")));
        Assert.Equal(("InvalidOperationException", "no"), (TrialResult.Read(ResultOf(spec)).ErrorId, TrialResult.Read(ResultOf(spec)).Error));
    }

    [Fact]
    public void A_cancelled_job_writes_no_result_so_that_it_runs_again()
    {
        var spec = Spec();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(spec, () => throw new OperationCanceledException()));
        Assert.False(File.Exists(ResultOf(spec)));
    }
}
