namespace CondensaPS.Engine.Execution;

/// <summary>
/// How a result file records the job's run time. Each kind of job keeps the field its files were first written with,
/// so that results written before still read.
/// </summary>
public enum ElapsedField
{
    /// <summary>"elapsed-seconds": a double (memorisation subset results).</summary>
    Seconds,
    /// <summary>"elapsed-ticks": whole 100 ns ticks (search trial results, as the trial journal).</summary>
    Ticks,
}
