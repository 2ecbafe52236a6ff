using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CondensaPS.Module.Tests.Support;

/// <summary>
/// Runs a program in a child process with its output captured: for what only a fresh process shows (native loading,
/// settings libtorch reads when it loads), since this process has its natives loaded already.
/// </summary>
public static class ChildProcess
{
    /// <summary>The `condensa` host this test build carries.</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "condensa.dll");

    /// <summary>The dotnet that runs these tests (or the one on the PATH).</summary>
    public static string Dotnet =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>
    /// Runs <paramref name="fileName"/> with this process's environment, less CONDENSAPS_NATIVE_DIR and the names in
    /// <paramref name="remove"/>, plus <paramref name="environment"/>; kills it after 3 minutes.
    /// </summary>
    public static (int Code, string Out, string Err) Run(string fileName, IEnumerable<string> arguments,
        IDictionary<string, string> environment, params string[] remove)
    {
        using var p = Process.Start(StartInfo(fileName, arguments, environment, remove))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException($"{fileName} did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The start info <see cref="Run"/> uses: output redirected, the given environment.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IDictionary<string, string> environment, params string[] remove)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        foreach (var name in remove) start.Environment.Remove(name);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        return start;
    }

    /// <summary>Sends SIGINT, what Ctrl+C sends, to a process.</summary>
    public static void Interrupt(Process process)
    {
        if (kill(process.Id, SigInt) != 0)
            throw new InvalidOperationException($"kill({process.Id}, SIGINT) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
