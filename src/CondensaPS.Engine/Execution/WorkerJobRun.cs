using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// The frame every worker job runs in, inside its worker process: stop with the caller (<see cref="ParentWatchdog"/>),
/// read the spec, run the job, and write its result file last, timed and signed with the worker ("pid 4242 on host").
/// A job that throws still writes its result, with the error (the <see cref="EngineException"/>'s ErrorId, else the
/// exception's type name), so the caller can tell a recorded failure from a worker that died and wrote none.
/// Cancellation and running out of memory are not failures of the job and write no result: the job was not finished,
/// so its caller runs it again (a died job once more, a resumed run every job without a result).
/// </summary>
public static class WorkerJobRun
{
    /// <summary>
    /// Runs the job that <paramref name="specPath"/> describes; returns the process exit code: 0 when it succeeded,
    /// 1 when it failed (result written). <paramref name="execute"/> builds the successful result's payload and
    /// <paramref name="failed"/> a failed one's; the outcome fields are this frame's.
    /// </summary>
    public static int Run<TSpec, TResult>(string specPath, OperationContext? context, Func<string, TSpec> readSpec,
        Func<TSpec, OperationContext, TResult> execute, Func<TSpec, TResult> failed)
        where TSpec : IWorkerJobSpec
        where TResult : IWorkerJobResult<TResult>
    {
        ParentWatchdog.StartFromEnvironment();
        context ??= new OperationContext { Verbose = Console.Error.WriteLine, Warning = m => Console.Error.WriteLine("WARNING: " + m) };
        var spec = readSpec(specPath);
        var resultPath = IWorkerJobSpec.Resolve(specPath, spec.Result);
        var worker = string.Create(CultureInfo.InvariantCulture, $"pid {Environment.ProcessId} on {Environment.MachineName}");
        var watch = Stopwatch.StartNew();
        TResult result;
        try
        {
            result = execute(spec, context).WithOutcome(null, null, watch.Elapsed, worker);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            context.Log($"{spec.Title} failed: {e}");
            result = failed(spec).WithOutcome((e as EngineException)?.ErrorId ?? e.GetType().Name, e.Message, watch.Elapsed, worker);
        }
        result.Write(resultPath);
        return result.Succeeded ? 0 : 1;
    }
}
