using System.Diagnostics;
using System.Globalization;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// Runs jobs as `condensa` processes on this machine, at most <see cref="Slots"/> at once (the -ThrottleLimit). Each
/// worker gets this process's id in CONDENSAPS_PARENT_PID (<see cref="ParentWatchdog"/>) so that it stops when its
/// caller is killed, and writes its standard output and error to the job's log file. Cancelling kills the worker's
/// process tree.
/// </summary>
public sealed class LocalProcessExecutor : IJobExecutor
{
    private readonly WorkerHost _host;
    private readonly SemaphoreSlim _slots;

    public LocalProcessExecutor(WorkerHost host, int throttleLimit)
    {
        if (throttleLimit < 1) throw new ArgumentOutOfRangeException(nameof(throttleLimit), throttleLimit, "at least one worker");
        _host = host;
        Slots = throttleLimit;
        _slots = new SemaphoreSlim(throttleLimit, throttleLimit);
    }

    public string Name => $"local, {Slots} worker{(Slots == 1 ? "" : "s")}";
    public int Slots { get; }

    public void CheckAvailable()
    {
        if (_host.FileName.Contains(Path.DirectorySeparatorChar) && !File.Exists(_host.FileName))
            throw new EngineException("WorkerHostNotFound", EngineErrorKind.NotInstalled, $"The worker host '{_host.FileName}' does not exist.", _host.FileName);
    }

    public IReadOnlyList<Task<JobOutcome>> Submit(IReadOnlyList<WorkerJob> jobs, CancellationToken cancellation) =>
        jobs.Select(job => Task.Run(() => RunAsync(job, cancellation))).ToList();

    private async Task<JobOutcome> RunAsync(WorkerJob job, CancellationToken cancellation)
    {
        try
        {
            await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new JobOutcome(job, JobState.Cancelled, null, TimeSpan.Zero, "local", "cancelled before it started");
        }
        try
        {
            return await StartAndWaitAsync(job, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<JobOutcome> StartAndWaitAsync(WorkerJob job, CancellationToken cancellation)
    {
        Directory.CreateDirectory(job.WorkingDirectory);
        if (File.Exists(job.ResultPath)) File.Delete(job.ResultPath);
        var start = new ProcessStartInfo(_host.FileName)
        {
            WorkingDirectory = job.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in _host.LeadingArguments.Concat(job.Arguments)) start.ArgumentList.Add(a);
        foreach (var (k, v) in job.Environment) start.Environment[k] = v;
        start.Environment[ParentWatchdog.EnvironmentVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var watch = Stopwatch.StartNew();
        using var log = new StreamWriter(job.LogPath, append: false) { AutoFlush = true };
        var gate = new object();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) log.WriteLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new EngineException("WorkerHostNotFound", EngineErrorKind.NotInstalled, $"Could not start the worker host '{_host}': {e.Message}", _host.FileName, e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var worker = $"local pid {process.Id} on {Environment.MachineName}";
        bool cancelled = false;
        try
        {
            await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        process.WaitForExit(); // flushes the redirected output
        int exit = process.ExitCode;
        if (cancelled) return new JobOutcome(job, JobState.Cancelled, exit, watch.Elapsed, worker, "stopped by the caller");
        if (File.Exists(job.ResultPath)) return new JobOutcome(job, JobState.Completed, exit, watch.Elapsed, worker);
        return new JobOutcome(job, JobState.Died, exit, watch.Elapsed, worker, Describe(exit));
    }

    /// <summary>"exit code 1", or "killed by signal 9 (exit code 137)" (.NET reports 128 + the signal on Unix).</summary>
    internal static string Describe(int exit) =>
        !OperatingSystem.IsWindows() && exit > 128 && exit < 160
            ? $"killed by signal {exit - 128} (exit code {exit}) before it wrote a result"
            : $"exit code {exit} without a result";

    public void Dispose() => _slots.Dispose();
}
