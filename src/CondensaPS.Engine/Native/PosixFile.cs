using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>The few POSIX calls .NET has no API for: flushing a folder (fsync on a directory descriptor).</summary>
internal static class PosixFile
{
    private const int ORdOnly = 0;
    private const int OCloexec = 0x80000;

    /// <summary>A read-only descriptor (folders included), or -1.</summary>
    public static int OpenReadOnly(string path) => Open(path, ORdOnly | OCloexec);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);
}
