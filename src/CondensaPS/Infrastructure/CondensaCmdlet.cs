using System.Collections.Concurrent;
using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Base of the module's cmdlets: runs long engine work on a worker thread while the pipeline thread pumps its
/// progress, verbose and warning records (WriteObject and friends only ever run on the pipeline thread), and turns
/// Ctrl+C (StopProcessing) into cancellation of the engine's CancellationToken.
/// The worker thread waits while the pipeline thread writes each record. Writing a record allocates, and an allocation
/// can start a garbage collection; were the worker inside a libtorch call then, the collection could finalize the
/// TorchSharp Scalar that call is reading (TorchSharp passes only its handle) and the call would fail or read freed
/// memory ("Expected false to be true" from c10::Scalar). Handing the records over this way keeps the pipeline
/// thread's allocations out of the worker's native calls.
/// </summary>
public abstract class CondensaCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();

    protected CancellationToken StopToken => _stop.Token;

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing() => _stop.Dispose();

    /// <summary>Runs <paramref name="work"/> on a worker thread and pumps its records here until it ends.</summary>
    protected T RunEngine<T>(string activity, Func<OperationContext, T> work) => RunEngine(activity, (context, _) => work(context));

    /// <summary>
    /// As <see cref="RunEngine{T}(string, Func{OperationContext, T})"/>, and the work may also write objects to the
    /// pipeline while it runs (the second argument): they are written here, on the pipeline thread, in order.
    /// </summary>
    protected T RunEngine<T>(string activity, Func<OperationContext, Action<object>, T> work)
    {
        var queue = new BlockingCollection<Action>();
        // Cancelled when the pump stops (a write threw, the pipeline is stopping), so that no worker waits on.
        var pumpGone = new CancellationTokenSource();
        void Hand(Action write)
        {
            using var done = new ManualResetEventSlim();
            try { queue.Add(() => { try { write(); } finally { done.Set(); } }); }
            catch (InvalidOperationException) { return; } // the work has ended; late records are dropped
            try { done.Wait(pumpGone.Token); } catch (OperationCanceledException) { }
        }
        var progress = new QueueProgress(Hand, this);
        var context = new OperationContext
        {
            Cancellation = _stop.Token,
            Progress = progress,
            Verbose = message => Hand(() => WriteVerbose(message)),
            Warning = message => Hand(() => WriteWarning(message)),
        };
        var task = Task.Factory.StartNew(() =>
        {
            try
            {
                TorchRuntime.ApplyThreadsToCurrentThread();
                return work(context, item => Hand(() => WriteObject(item)));
            }
            finally { queue.CompleteAdding(); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var action in queue.GetConsumingEnumerable()) action();
        }
        finally { pumpGone.Cancel(); }
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            foreach (var (id, name) in progress.Open)
                WriteProgress(new ProgressRecord(id, name, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    /// <summary>
    /// A terminating error, for problems with the parameters themselves that would fail every input alike (a bad
    /// combination, a strategy file that does not validate, one output path for several models), as PowerShell's own
    /// cmdlets stop on parameter binding problems.
    /// </summary>
    protected void ThrowParameterError(EngineException e) => ThrowTerminatingError(ErrorRecords.From(e));

    /// <summary>A non-terminating error, for a failure about one input object: the pipeline goes on with the next
    /// one, and -ErrorAction decides what the caller sees.</summary>
    protected void WriteEngineError(EngineException e) => WriteError(ErrorRecords.From(e));

    private int _inputCount;

    /// <summary>A cmdlet that writes one file per call fails when a second model arrives from the pipeline.</summary>
    protected void RequireSingleInput(string path, string what)
    {
        if (++_inputCount > 1)
            ThrowParameterError(new EngineException("MultipleModelsToOnePath", EngineErrorKind.InvalidArgument,
                $"More than one model was piped to {MyInvocation.MyCommand.Name} -Path '{path}'; export each model{what} to its own file.", path));
    }

    /// <summary>Resolves a -Path argument to a provider path (relative to the current PowerShell location).</summary>
    protected string ResolveOutputPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// A -Model argument as a model: the object itself, or the file a path names, imported (with
    /// <paramref name="architecture"/> for weights-only files) and returned in <paramref name="loaded"/> for the
    /// caller to dispose.
    /// </summary>
    protected CompressionModel ModelFromArgument(object argument, string? architecture, out CompressionModel? loaded)
    {
        loaded = null;
        var input = argument is PSObject pso ? pso.BaseObject : argument;
        if (input is CompressionModel model) return model;
        var modelPath = input switch
        {
            string s => s,
            FileInfo f => f.FullName,
            _ => throw new EngineException("InvalidModelArgument", EngineErrorKind.InvalidArgument,
                $"-Model takes a model object (Import-Model, New-Model) or the path of a model file, not {input?.GetType().Name ?? "null"}.", input),
        };
        var full = ResolveOutputPath(modelPath);
        loaded = RunEngine("Import-Model", ctx => ModelLoader.Load(full, new ModelLoadOptions { Architecture = architecture }, ctx));
        return loaded;
    }

    private sealed class QueueProgress : IProgress<OperationProgress>
    {
        private readonly Action<Action> _hand;
        private readonly Cmdlet _cmdlet;

        /// <param name="hand">Runs a write on the pipeline thread while the caller waits.</param>
        public QueueProgress(Action<Action> hand, Cmdlet cmdlet) { _hand = hand; _cmdlet = cmdlet; }

        /// <summary>Activities reported and not completed (pumped on the pipeline thread only).</summary>
        public Dictionary<int, string> Open { get; } = new();

        public void Report(OperationProgress p)
        {
            var record = new ProgressRecord(p.Id, p.Activity, string.IsNullOrEmpty(p.Status) ? p.Activity : p.Status)
            {
                PercentComplete = Math.Clamp(p.PercentComplete, -1, 100),
                ParentActivityId = p.ParentId,
                RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            _hand(() =>
            {
                if (p.Completed) Open.Remove(p.Id); else Open[p.Id] = p.Activity;
                _cmdlet.WriteProgress(record);
            });
        }
    }
}
