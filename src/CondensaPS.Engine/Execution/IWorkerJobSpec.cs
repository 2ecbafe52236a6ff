namespace CondensaPS.Engine.Execution;

/// <summary>
/// What <see cref="WorkerJobRun"/> needs of a job's spec file (trial.json, subset.json): how the log names the job and
/// where its result goes. Paths in a spec are relative to the spec file's folder, so a run's folder can be moved or
/// shared with cluster nodes.
/// </summary>
public interface IWorkerJobSpec
{
    /// <summary>How log lines name the job: "Trial 3", "Subset model 3".</summary>
    string Title { get; }

    /// <summary>The result file, relative to the spec file's folder.</summary>
    string Result { get; }

    /// <summary>A path of a spec resolved against the folder of its spec file.</summary>
    static string Resolve(string specPath, string relative) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(specPath))!, relative));
}
