namespace CondensaPS.Engine.Execution;

/// <summary>
/// One job for a worker process: run the `condensa` host with <see cref="Arguments"/> (a .ps1 script or a .yaml
/// strategy and its arguments) in <see cref="WorkingDirectory"/>, which must be visible to the machine that runs it
/// (a shared folder for Slurm). The job is done when <see cref="ResultFile"/> exists there; a worker that ends without
/// writing it has died. Its output goes to <see cref="LogFile"/> in the same folder. A search trial is one such job
/// (Jobs/SearchTrial.ps1 -Spec trial.json, writing result.json); other kinds only need their own script.
/// </summary>
public sealed record WorkerJob(string Id, string WorkingDirectory, IReadOnlyList<string> Arguments)
{
    public string ResultFile { get; init; } = "result.json";
    public string LogFile { get; init; } = "worker.log";
    /// <summary>Extra environment variables for the worker (CONDENSAPS_THREADS, say).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string ResultPath => Path.Combine(WorkingDirectory, ResultFile);
    public string LogPath => Path.Combine(WorkingDirectory, LogFile);
}

/// <summary>How a job ended.</summary>
public enum JobState
{
    /// <summary>The result file is there (whatever the exit code: a job may record its own failure in it).</summary>
    Completed,
    /// <summary>The worker ended without a result file: a crash, a kill, a time limit, a lost node.</summary>
    Died,
    /// <summary>The caller cancelled it (Ctrl+C): the worker was stopped.</summary>
    Cancelled,
}

/// <summary>The end of one job: its state, exit code when known, where it ran, how long it took, and why it died.</summary>
public sealed record JobOutcome(WorkerJob Job, JobState State, int? ExitCode, TimeSpan Elapsed, string Worker, string? Detail = null)
{
    public override string ToString() => $"job {Job.Id}: {State.ToString().ToLowerInvariant()} on {Worker}{(Detail is null ? "" : $" ({Detail})")}";
}
