namespace CondensaPS.Engine.Execution;

/// <summary>
/// Runs <see cref="WorkerJob"/>s in worker processes of the `condensa` host, so that a job that crashes (libtorch
/// faults kill their whole process) cannot take its caller down. Implementations: <see cref="LocalProcessExecutor"/>
/// (processes on this machine, at most a throttle limit at once) and <see cref="SlurmExecutor"/> (each batch one
/// <c>sbatch --array</c> job); <see cref="JobExecutorFactory"/> makes them. A Kubernetes Job executor would be one
/// more implementation.
/// </summary>
public interface IJobExecutor : IDisposable
{
    /// <summary>"local, 2 workers", "slurm partition debug".</summary>
    string Name { get; }

    /// <summary>How many jobs it runs at once.</summary>
    int Slots { get; }

    /// <summary>Throws an <see cref="EngineException"/> that says what is missing (no host, no Slurm controller, no such partition) before anything is submitted.</summary>
    void CheckAvailable();

    /// <summary>
    /// Starts the jobs (one batch) and returns one task per job, in order, that completes with its outcome. Cancelling
    /// <paramref name="cancellation"/> stops the jobs still running; their tasks then complete as Cancelled.
    /// </summary>
    IReadOnlyList<Task<JobOutcome>> Submit(IReadOnlyList<WorkerJob> jobs, CancellationToken cancellation);
}
