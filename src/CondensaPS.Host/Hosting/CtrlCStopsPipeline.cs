namespace CondensaPS.Host.Hosting;

/// <summary>
/// While alive, Ctrl+C (SIGINT) stops the session's running pipeline as pwsh does, instead of ending the process: the
/// running cmdlet's StopProcessing cancels its work, finally blocks run and atomic writes remove their temp files. A
/// second Ctrl+C, for work that does not stop, ends the process at once as an unhandled Ctrl+C would.
/// </summary>
public sealed class CtrlCStopsPipeline : IDisposable
{
    private readonly HostedSession _session;
    private int _presses;

    public CtrlCStopsPipeline(HostedSession session)
    {
        _session = session;
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _presses) > 1) return;
        e.Cancel = true;
        _session.Stop();
    }

    public void Dispose() => Console.CancelKeyPress -= OnCancelKeyPress;
}
