namespace CondensaPS.Host.Hosting;

/// <summary>
/// While alive, Ctrl+C (SIGINT) stops the session's running pipeline as pwsh does, instead of ending the process: the
/// running cmdlet's StopProcessing cancels its work, finally blocks run and atomic writes remove their temp files. A
/// second Ctrl+C, for work that does not stop, ends the process at once as an unhandled Ctrl+C would.
/// Once disposed (the run is over and the process is on its way out with the run's exit code), a Ctrl+C is swallowed
/// rather than ending the process with 130: the handler stays registered for the rest of the process, because a press
/// that lands between the run's end and the process's exit would otherwise turn a finished run into a failed one.
/// </summary>
public sealed class CtrlCStopsPipeline : IDisposable
{
    private HostedSession? _session;
    private int _presses;

    public CtrlCStopsPipeline(HostedSession session)
    {
        _session = session;
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        var session = Volatile.Read(ref _session);
        if (session is null)
        {
            e.Cancel = true;
            return;
        }
        if (Interlocked.Increment(ref _presses) > 1) return;
        e.Cancel = true;
        session.Stop();
    }

    public void Dispose() => Volatile.Write(ref _session, null);
}
