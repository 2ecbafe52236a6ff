using System.Globalization;
using System.Text;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// Runs each batch of jobs as one Slurm job array: a run.sh in each job's folder (which runs the host, then records
/// its exit code), and a batch script in the shared folder that <c>sbatch --array=0-(n-1)%limit</c> submits with the
/// partition, time limit and CPUs asked for. Jobs are followed by their files (the result, the exit code) and by
/// <c>squeue -r -j</c>: a task that leaves the queue without an exit code has died (a time limit, scancel, a lost node),
/// and the last line of its Slurm output says why. <see cref="CheckAvailable"/> asks the controller (sinfo) before
/// anything is submitted. Cancelling runs scancel on the array.
/// </summary>
public sealed class SlurmExecutor : IJobExecutor
{
    public const string ExitCodeFile = "exit-code";
    public const string TaskFile = "slurm-task";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ExecutorOptions _options;
    private readonly string _shared;
    private int _batches;

    public SlurmExecutor(ExecutorOptions options)
    {
        _options = options;
        _shared = Path.GetFullPath(options.SharedFolder ?? throw new EngineException("SlurmNeedsSharedFolder", EngineErrorKind.InvalidArgument,
            "The Slurm executor needs a shared folder that the nodes see at the same path."));
    }

    public string Name => $"slurm{(_options.Partition is null ? "" : $" partition {_options.Partition}")}, {Slots} at once";
    public int Slots => _options.ThrottleLimit;

    public void CheckAvailable()
    {
        var version = CommandRunner.Run(Command("sbatch"), new[] { "--version" }, CommandTimeout);
        if (version is null)
            throw Unavailable("sbatch was not found: Slurm's client commands (Debian's slurm-client) are not installed on this machine.");
        var partitions = CommandRunner.Run(Command("sinfo"), new[] { "-h", "-o", "%P" }, CommandTimeout);
        if (partitions is null || partitions.ExitCode != 0)
            throw Unavailable($"the Slurm controller does not answer: {partitions?.Message ?? "sinfo was not found"}.");
        var names = partitions.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.TrimEnd('*')).ToList();
        if (names.Count == 0) throw Unavailable("the Slurm controller answers but has no partition.");
        if (_options.Partition is { } wanted && !names.Contains(wanted, StringComparer.Ordinal))
            throw new EngineException("SlurmPartitionNotFound", EngineErrorKind.ObjectNotFound,
                $"Slurm has no partition '{wanted}'; partitions: {string.Join(", ", names)}.", wanted);
        if (!Directory.Exists(_shared) && !Directory.Exists(Path.GetDirectoryName(_shared)))
            throw new EngineException("SlurmSharedFolderNotFound", EngineErrorKind.ObjectNotFound, $"Neither the shared folder '{_shared}' nor its parent exists.", _shared);
    }

    public IReadOnlyList<Task<JobOutcome>> Submit(IReadOnlyList<WorkerJob> jobs, CancellationToken cancellation)
    {
        if (jobs.Count == 0) return Array.Empty<Task<JobOutcome>>();
        int batch = Interlocked.Increment(ref _batches);
        var folder = Path.Combine(_shared, "slurm");
        Directory.CreateDirectory(folder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        var name = $"batch-{stamp}-{batch}";
        foreach (var job in jobs) WriteRunScript(job);
        var script = Path.Combine(folder, name + ".sh");
        File.WriteAllText(script, BatchScript(jobs, Path.Combine(folder, name + "_%a.out")));

        var submitted = CommandRunner.Run(Command("sbatch"), new[] { "--parsable", script }, CommandTimeout);
        if (submitted is null || submitted.ExitCode != 0)
            throw new EngineException("SlurmSubmitFailed", EngineErrorKind.ResourceUnavailable,
                $"sbatch did not take '{script}': {submitted?.Message ?? "sbatch was not found"}.", script);
        var jobId = submitted.StandardOutput.Trim().Split(';')[0];
        var tracker = new ArrayTracker(jobId, jobs, folder, name, _options.PollInterval, Command);
        return tracker.Start(cancellation);
    }

    private void WriteRunScript(WorkerJob job)
    {
        Directory.CreateDirectory(job.WorkingDirectory);
        foreach (var stale in new[] { job.ResultPath, Path.Combine(job.WorkingDirectory, ExitCodeFile) })
            if (File.Exists(stale)) File.Delete(stale);
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append("cd ").Append(Quote(job.WorkingDirectory)).Append(" || exit 97\n");
        sb.Append("echo \"slurm ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname)\" > ").Append(TaskFile).Append('\n');
        foreach (var (k, v) in job.Environment) sb.Append("export ").Append(k).Append('=').Append(Quote(v)).Append('\n');
        sb.Append(string.Join(" ", _options.Host.Command(job.Arguments).Select(Quote)));
        sb.Append(" > ").Append(Quote(job.LogFile)).Append(" 2>&1\n");
        sb.Append("code=$?\n");
        sb.Append("echo $code > ").Append(ExitCodeFile).Append(".tmp && mv ").Append(ExitCodeFile).Append(".tmp ").Append(ExitCodeFile).Append('\n');
        sb.Append("exit $code\n");
        File.WriteAllText(Path.Combine(job.WorkingDirectory, "run.sh"), sb.ToString());
    }

    private string BatchScript(IReadOnlyList<WorkerJob> jobs, string output)
    {
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append("#SBATCH --job-name=condensa\n");
        sb.Append("#SBATCH --output=").Append(output).Append('\n');
        sb.Append("#SBATCH --array=0-").Append(jobs.Count - 1).Append('%').Append(Math.Max(1, _options.ThrottleLimit)).Append('\n');
        if (_options.Partition is { } partition) sb.Append("#SBATCH --partition=").Append(partition).Append('\n');
        if (_options.TimeLimit is { } limit) sb.Append("#SBATCH --time=").Append(SlurmTime(limit)).Append('\n');
        if (_options.CpusPerTask is { } cpus) sb.Append("#SBATCH --cpus-per-task=").Append(cpus).Append('\n');
        sb.Append("dirs=(").Append(string.Join(" ", jobs.Select(j => Quote(Path.GetFullPath(j.WorkingDirectory))))).Append(")\n");
        sb.Append("exec bash \"${dirs[$SLURM_ARRAY_TASK_ID]}/run.sh\"\n");
        return sb.ToString();
    }

    /// <summary>Slurm's D-HH:MM:SS (at least one minute).</summary>
    public static string SlurmTime(TimeSpan t)
    {
        if (t < TimeSpan.FromMinutes(1)) t = TimeSpan.FromMinutes(1);
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}-{t.Hours:00}:{t.Minutes:00}:{t.Seconds:00}");
    }

    /// <summary>A Slurm command, from <see cref="ExecutorOptions.SlurmBin"/> when given.</summary>
    private string Command(string name) => _options.SlurmBin is { } bin ? Path.Combine(bin, name) : name;

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static EngineException Unavailable(string why) =>
        new("SlurmUnavailable", EngineErrorKind.ResourceUnavailable, $"No Slurm cluster is reachable: {why} Nothing was submitted.");

    public void Dispose() { }

    /// <summary>Follows one array: completes each job's task from its files, or as died when Slurm no longer knows it.</summary>
    private sealed class ArrayTracker
    {
        private readonly string _jobId;
        private readonly IReadOnlyList<WorkerJob> _jobs;
        private readonly string _folder;
        private readonly string _name;
        private readonly TimeSpan _poll;
        private readonly TaskCompletionSource<JobOutcome>[] _outcomes;
        private readonly DateTime _started = DateTime.UtcNow;
        private readonly Func<string, string> _command;

        public ArrayTracker(string jobId, IReadOnlyList<WorkerJob> jobs, string folder, string name, TimeSpan poll, Func<string, string> command)
        {
            _command = command;
            _jobId = jobId;
            _jobs = jobs;
            _folder = folder;
            _name = name;
            _poll = poll;
            _outcomes = jobs.Select(_ => new TaskCompletionSource<JobOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        }

        public IReadOnlyList<Task<JobOutcome>> Start(CancellationToken cancellation)
        {
            _ = Task.Run(() => FollowAsync(cancellation));
            return _outcomes.Select(o => o.Task).ToList();
        }

        private async Task FollowAsync(CancellationToken cancellation)
        {
            var missing = new int[_jobs.Count];
            try
            {
                while (_outcomes.Any(o => !o.Task.IsCompleted))
                {
                    try { await Task.Delay(_poll, cancellation).ConfigureAwait(false); }
                    catch (OperationCanceledException) { Cancel(); return; }
                    var queued = Queued();
                    for (int i = 0; i < _jobs.Count; i++)
                    {
                        if (_outcomes[i].Task.IsCompleted) continue;
                        var job = _jobs[i];
                        var exitFile = Path.Combine(job.WorkingDirectory, ExitCodeFile);
                        if (File.Exists(exitFile))
                        {
                            int? exit = int.TryParse(File.ReadAllText(exitFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var e) ? e : null;
                            _outcomes[i].TrySetResult(File.Exists(job.ResultPath)
                                ? new JobOutcome(job, JobState.Completed, exit, DateTime.UtcNow - _started, Worker(job, i))
                                : new JobOutcome(job, JobState.Died, exit, DateTime.UtcNow - _started, Worker(job, i),
                                    exit is { } x ? LocalProcessExecutor.Describe(x) : "no exit code"));
                            continue;
                        }
                        // squeue failed (null): say nothing this round. Twice missing from the queue without an exit code: dead.
                        if (queued is null) continue;
                        missing[i] = queued.Contains(i) ? 0 : missing[i] + 1;
                        if (missing[i] >= 3)
                            _outcomes[i].TrySetResult(new JobOutcome(job, JobState.Died, null, DateTime.UtcNow - _started, Worker(job, i),
                                $"the Slurm task left the queue without an exit code{Why(i)}"));
                    }
                }
            }
            catch (Exception e)
            {
                foreach (var o in _outcomes) o.TrySetException(e);
            }
        }

        /// <summary>Array task indices Slurm still has (pending or running); null when squeue cannot say.</summary>
        private HashSet<int>? Queued()
        {
            var output = CommandRunner.Run(_command("squeue"), new[] { "-h", "-r", "-j", _jobId, "-o", "%K" }, CommandTimeout);
            if (output is null) return null;
            // A finished array is unknown to squeue ("Invalid job id specified"): nothing is queued.
            if (output.ExitCode != 0) return output.Message.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase) ? new HashSet<int>() : null;
            var set = new HashSet<int>();
            foreach (var line in output.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k)) set.Add(k);
            return set;
        }

        private void Cancel()
        {
            CommandRunner.Run(_command("scancel"), new[] { _jobId }, CommandTimeout);
            for (int i = 0; i < _jobs.Count; i++)
                _outcomes[i].TrySetResult(new JobOutcome(_jobs[i], JobState.Cancelled, null, DateTime.UtcNow - _started, Worker(_jobs[i], i), $"scancel {_jobId}"));
        }

        private string Worker(WorkerJob job, int index)
        {
            var file = Path.Combine(job.WorkingDirectory, TaskFile);
            return File.Exists(file) ? File.ReadAllText(file).Trim() : $"slurm {_jobId}_{index}";
        }

        /// <summary>": " and the last line of the task's Slurm output (where slurmstepd writes CANCELLED ... DUE TO TIME LIMIT).</summary>
        private string Why(int index)
        {
            var output = Path.Combine(_folder, $"{_name}_{index}.out");
            if (!File.Exists(output)) return "";
            var last = File.ReadLines(output).LastOrDefault(l => !string.IsNullOrWhiteSpace(l));
            return last is null ? "" : $": {last.Trim()}";
        }
    }
}
