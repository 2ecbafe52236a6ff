using System.Globalization;
using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Execution;

/// <summary>
/// Ends a worker process whose parent is gone. A local executor puts its own process id in the worker's environment
/// (<see cref="EnvironmentVariable"/>); a worker that calls <see cref="StartFromEnvironment"/> checks once a second that
/// this process still lives and exits (code 3) when it does not, so a search killed with kill -9 leaves no trial
/// running on behind it. Workers on a Slurm node have no such variable: there, scancel ends them.
/// </summary>
public static class ParentWatchdog
{
    public const string EnvironmentVariable = "CONDENSAPS_PARENT_PID";
    public const int ExitCode = 3;

    private static int _started;

    public static void StartFromEnvironment()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(EnvironmentVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return;
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        var thread = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(1000);
                if (!Alive(pid))
                {
                    Console.Error.WriteLine($"condensa worker: the search process {pid} is gone; stopping this trial.");
                    Environment.Exit(ExitCode);
                }
            }
        }) { IsBackground = true, Name = "condensa parent watchdog" };
        thread.Start();
    }

    /// <summary>Whether a process exists (kill(pid, 0) on Unix).</summary>
    public static bool Alive(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
            catch (ArgumentException) { return false; }
        }
        return Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1; // EPERM: it exists, owned by someone else
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
