namespace CondensaPS.Engine.Execution;

/// <summary>
/// The outcome every worker job's result file records beside its own payload: whether the job succeeded, the error it
/// failed with (a stable ErrorId and the message), how long it ran and which worker ran it. <see cref="WorkerJobRun"/>
/// fills these in; <see cref="WorkerJobResultFile"/> writes and reads them.
/// </summary>
public interface IWorkerJobResult<TSelf> where TSelf : IWorkerJobResult<TSelf>
{
    bool Succeeded { get; }
    string? ErrorId { get; }
    string? Error { get; }
    TimeSpan Elapsed { get; }
    /// <summary>"pid 4242 on host".</summary>
    string? Worker { get; }

    /// <summary>A copy with these outcome fields, the payload and <see cref="Succeeded"/> unchanged.</summary>
    TSelf WithOutcome(string? errorId, string? error, TimeSpan elapsed, string? worker);

    /// <summary>Writes the result file atomically (the job's last act).</summary>
    void Write(string path);
}
