using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Execution;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Base of the cmdlets that fan jobs out to `condensa` worker processes (a search's trials, memorisation's subset
/// models), locally or on Slurm: the executor parameters they share and what they default to.
/// </summary>
public abstract class WorkerJobsCmdlet : CondensaCmdlet
{
    /// <summary>Jobs at once: worker processes locally, the array's task limit on Slurm.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; }

    /// <summary>Torch threads in each worker (default: this session's thread count divided among the local workers).</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int WorkerThreadCount { get; set; }

    [Parameter]
    public ExecutorKind Executor { get; set; } = ExecutorKind.Local;

    /// <summary>Slurm: the partition (default: the cluster's).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Partition { get; set; }

    /// <summary>Slurm: each job's time limit.</summary>
    [Parameter]
    public TimeSpan? TimeLimit { get; set; }

    /// <summary>Slurm: CPUs per job.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? CpusPerTask { get; set; }

    /// <summary>-Partition, -TimeLimit and -CpusPerTask without -Executor Slurm are a mistake, not something to ignore.</summary>
    protected void RequireSlurmForSlurmSettings()
    {
        if (Executor == ExecutorKind.Local && (Partition is not null || TimeLimit is not null || CpusPerTask is not null))
            throw new EngineException("SlurmSettingWithoutSlurm", EngineErrorKind.InvalidArgument,
                "-Partition, -TimeLimit and -CpusPerTask are Slurm settings; add -Executor Slurm.", Executor);
    }

    /// <summary>Jobs at once (default: the cores over this session's threads) and torch threads per worker (default: this session's threads shared among the local workers).</summary>
    protected (int Throttle, int WorkerThreads) WorkerPlan()
    {
        var throttle = ThrottleLimit > 0 ? ThrottleLimit : Math.Max(1, Environment.ProcessorCount / Math.Max(1, TorchRuntime.Threads));
        var workerThreads = WorkerThreadCount > 0 ? WorkerThreadCount : Math.Max(1, TorchRuntime.Threads / (Executor == ExecutorKind.Local ? throttle : 1));
        return (throttle, workerThreads);
    }

    /// <summary>The folder of this module (the workers import it from there).</summary>
    protected string ModuleFolder => System.IO.Path.GetDirectoryName(GetType().Assembly.Location)!;

    /// <summary>The executor the parameters ask for, its workers writing under <paramref name="folder"/>.</summary>
    protected IJobExecutor NewExecutor(int throttle, string folder) => JobExecutorFactory.Create(Executor, new ExecutorOptions
    {
        Host = WorkerHost.Locate(ModuleFolder),
        ThrottleLimit = throttle,
        Partition = Partition,
        TimeLimit = TimeLimit,
        CpusPerTask = CpusPerTask,
        SharedFolder = folder,
    });
}
