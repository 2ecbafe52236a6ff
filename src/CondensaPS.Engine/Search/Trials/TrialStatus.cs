namespace CondensaPS.Engine.Search.Trials;

/// <summary>How a trial ended.</summary>
public enum TrialStatus
{
    /// <summary>The worker ran the strategy and measured the model.</summary>
    Succeeded,
    /// <summary>The strategy or a measurement threw: the error is recorded and the search goes on.</summary>
    Failed,
    /// <summary>The worker process died (a crash, a kill, a node lost) twice: no result.</summary>
    Died,
}
