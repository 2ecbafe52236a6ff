using System.Diagnostics;

namespace CondensaPS.Tests.Shared;

/// <summary>
/// Runs a program under strace and returns the system calls it made (with -y, so each file descriptor shows the path
/// it is open on): for what leaves no other trace, such as an fsync before a rename. Tests that use it are
/// <see cref="StraceFactAttribute"/>s.
/// </summary>
public static class Strace
{
    /// <summary>
    /// Runs <paramref name="program"/> (with its child threads and processes) under strace, tracing
    /// <paramref name="calls"/>; returns its exit code, its stderr and the traced calls, one line each.
    /// </summary>
    public static (int Code, string Error, string[] Calls) Run(string calls, string program, IEnumerable<string> arguments,
        IDictionary<string, string>? environment = null)
    {
        var log = Path.Combine(Path.GetTempPath(), $"condensaps-strace-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-f", "-y", "-qq", "-e", "signal=none", "-e", "trace=" + calls, "-o", log, program }.Concat(arguments)) start.ArgumentList.Add(a);
        start.Environment.Remove("CONDENSAPS_NATIVE_DIR");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        try
        {
            using var p = Process.Start(start)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"{program} under strace did not finish"); }
            return (p.ExitCode, stderr.Result, File.Exists(log) ? File.ReadAllLines(log) : Array.Empty<string>());
        }
        finally
        {
            File.Delete(log);
        }
    }
}

/// <summary>
/// A fact that needs strace and the right to trace a child (ptrace). Where either is missing it is skipped, saying
/// why, except under CI (CI=true), where it runs and fails instead of hiding (CI installs strace and runs as root).
/// </summary>
public sealed class StraceFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            var (code, error, _) = Strace.Run("fsync", "true", Array.Empty<string>());
            return code == 0 ? null : $"strace true exited {code}: {error.Trim()}";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException or TimeoutException)
        {
            return e.Message;
        }
    });

    public StraceFactAttribute()
    {
        var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && Unavailable.Value is { } why)
            Skip = $"needs strace and ptrace (CI installs strace and does not skip this): {why}";
    }
}
