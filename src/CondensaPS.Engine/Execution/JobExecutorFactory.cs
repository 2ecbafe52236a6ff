namespace CondensaPS.Engine.Execution;

/// <summary>Where jobs run.</summary>
public enum ExecutorKind
{
    /// <summary>Worker processes on this machine.</summary>
    Local,
    /// <summary>Slurm job arrays (sbatch --array) on a cluster that shares a folder with this machine.</summary>
    Slurm,
}

/// <summary>Settings for <see cref="JobExecutorFactory"/>: the host, how many jobs at once, and Slurm's partition, time limit and shared folder.</summary>
public sealed record ExecutorOptions
{
    public required WorkerHost Host { get; init; }
    /// <summary>Jobs at once: worker processes locally, the array's %limit on Slurm.</summary>
    public int ThrottleLimit { get; init; } = 1;
    /// <summary>Slurm: the partition (null: the cluster's default).</summary>
    public string? Partition { get; init; }
    /// <summary>Slurm: the time limit of each array task (null: the partition's).</summary>
    public TimeSpan? TimeLimit { get; init; }
    /// <summary>Slurm: a folder the nodes see at the same path; batch scripts and Slurm's output go there.</summary>
    public string? SharedFolder { get; init; }
    /// <summary>Slurm: CPUs per array task (null: the cluster's default).</summary>
    public int? CpusPerTask { get; init; }
    /// <summary>Slurm: the folder of sbatch, sinfo, squeue and scancel (null: <see cref="SlurmBinVariable"/>, else the PATH).</summary>
    public string? SlurmBin { get; init; } = Environment.GetEnvironmentVariable(SlurmBinVariable) is { Length: > 0 } bin ? bin : null;
    public const string SlurmBinVariable = "CONDENSAPS_SLURM_BIN";
    /// <summary>Slurm: how often squeue and the result files are polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Makes the executor for a kind, as PSResourceGet's ServerFactory makes its server API.</summary>
public static class JobExecutorFactory
{
    public static IJobExecutor Create(ExecutorKind kind, ExecutorOptions options) => kind switch
    {
        ExecutorKind.Local => new LocalProcessExecutor(options.Host, options.ThrottleLimit),
        ExecutorKind.Slurm => new SlurmExecutor(options),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
