using System.Diagnostics;

namespace CondensaPS.Tests.Shared;

/// <summary>
/// A small tmpfs mounted on a fresh temp folder for one test (a full disk or a read-only file system on demand),
/// unmounted on Dispose. Mounting needs root (with CAP_SYS_ADMIN); tests that use it are <see cref="TmpfsFactAttribute"/>s.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/> (rounded up to pages); <paramref name="readOnly"/> mounts it read-only.</summary>
    public static Tmpfs Mount(long sizeBytes, bool readOnly = false)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "condensaps-tmpfs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var options = $"size={sizeBytes}" + (readOnly ? ",ro" : "");
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir);
        if (code != 0)
        {
            Directory.Delete(dir);
            throw new InvalidOperationException($"mount -t tmpfs -o {options} failed ({code}): {output}");
        }
        return new Tmpfs(dir);
    }

    /// <summary>Bytes in use on the mount (what df shows), so a test can see that nothing was left behind.</summary>
    public long UsedBytes
    {
        get
        {
            var drive = new DriveInfo(Path);
            return drive.TotalSize - drive.TotalFreeSpace;
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path); } catch (IOException) { }
    }

    internal static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}

/// <summary>
/// A fact that mounts a <see cref="Tmpfs"/>: it needs root with CAP_SYS_ADMIN (CI runs as root). Where a tmpfs cannot be
/// mounted it is skipped, saying why, except under CI (CI=true), where it runs and fails instead of hiding.
/// </summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        try
        {
            using var probe = Tmpfs.Mount(64 * 1024);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    });

    public TmpfsFactAttribute() => Skip = SkipReason;

    /// <summary>Why a test that mounts a tmpfs is skipped here, or null where it runs.</summary>
    internal static string? SkipReason
    {
        get
        {
            var ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
            return !ci && Unavailable.Value is { } why ? $"needs root to mount a tmpfs (CI runs as root and does not skip this): {why}" : null;
        }
    }
}

/// <summary>A fact that mounts a <see cref="Tmpfs"/> and needs Debian's PyTorch: skipped as either of those is.</summary>
public sealed class TmpfsPyTorchFactAttribute : FactAttribute
{
    public TmpfsPyTorchFactAttribute() =>
        Skip = TmpfsFactAttribute.SkipReason ?? (PyTorchFactAttribute.Available.Value ? null : "needs /usr/bin/python3 with torch (CI installs python3-torch)");
}
