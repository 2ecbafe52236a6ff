namespace CondensaPS.Engine.Operations;

/// <summary>
/// What a long engine operation needs from its caller: cancellation, progress and a log of decisions. The cmdlets
/// pass one that pumps records back to the pipeline thread; tests pass <see cref="OperationContext.None"/>.
/// </summary>
public sealed class OperationContext
{
    public static OperationContext None => new();

    public CancellationToken Cancellation { get; init; }
    public IProgress<OperationProgress>? Progress { get; init; }
    public Action<string>? Verbose { get; init; }
    public Action<string>? Warning { get; init; }

    public void ThrowIfCancelled() => Cancellation.ThrowIfCancellationRequested();
    public void Report(OperationProgress progress) => Progress?.Report(progress);
    public void Log(string message) => Verbose?.Invoke(message);
    public void Warn(string message) => Warning?.Invoke(message);
}

/// <summary>One progress report: an activity, a status line and a percentage (-1 when unknown).</summary>
public sealed record OperationProgress(string Activity, string Status, int PercentComplete = -1, int Id = 1, int ParentId = -1, bool Completed = false);
