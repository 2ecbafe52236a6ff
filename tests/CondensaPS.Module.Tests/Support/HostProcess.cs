using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CondensaPS.Module.Tests.Support;

/// <summary>
/// The `condensa` host run as a child process that a test can signal mid-run (SIGINT, SIGTERM, SIGKILL). The child
/// starts with SIGINT and SIGTERM at their default actions (coreutils' env --default-signal): a shell that runs the
/// tests in the background would otherwise pass SIGINT down as ignored.
/// </summary>
public sealed class HostProcess : IDisposable
{
    public const int SigInt = 2, SigKill = 9, SigTerm = 15;

    private readonly Process _process;
    private readonly Task<string> _stdout, _stderr;

    private HostProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts `condensa` with <paramref name="arguments"/> and <paramref name="environment"/> added to this process's.</summary>
    public static HostProcess Start(IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        start.ArgumentList.Add(ChildProcess.Dotnet);
        start.ArgumentList.Add(ChildProcess.HostDll);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return new HostProcess(Process.Start(start)!);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Sends <paramref name="signal"/>; false when the process had already gone.</summary>
    public bool Signal(int signal) => !_process.HasExited && Kill(_process.Id, signal) == 0;

    /// <summary>Waits for the end (killing it after <paramref name="timeout"/>); returns exit code, stdout and stderr.</summary>
    public (int Code, string Out, string Err) Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(true);
            _process.WaitForExit();
            throw new TimeoutException($"condensa did not end within {timeout}: {_stdout.Result}{_stderr.Result}");
        }
        return (_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    /// <summary>Waits until <paramref name="condition"/> holds or the process ends; true when it held.</summary>
    public bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (condition()) return true;
            if (_process.HasExited) return condition();
            Thread.Sleep(1);
        }
        return false;
    }

    public void Dispose()
    {
        if (!_process.HasExited) { _process.Kill(true); _process.WaitForExit(); }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
