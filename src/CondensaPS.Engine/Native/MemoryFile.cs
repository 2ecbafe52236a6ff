using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace CondensaPS.Engine.Native;

/// <summary>
/// A file that lives in memory (Linux memfd_create) with a path native code can open, /proc/self/fd/N, and that
/// vanishes when disposed. libtorch writes TorchScript archives here: its zip writer cannot survive a failed write
/// (a full disk throws from its destructor and std::terminate kills the process), and memory does not fill up the
/// way a disk does. .NET then copies the bytes to their file, where a failure is an ordinary IOException. Where
/// memfd_create is missing (not Linux), the file is a temp file instead, deleted on dispose.
/// </summary>
internal sealed class MemoryFile : IDisposable
{
    private const uint MfdCloexec = 1;
    private readonly SafeFileHandle? _handle;

    private MemoryFile(SafeFileHandle? handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The path by which native code opens the file (and re-opens it from the start).</summary>
    public string Path { get; }

    public static MemoryFile Create(string name)
    {
        if (OperatingSystem.IsLinux())
        {
            int fd = MemfdCreate("condensaps-" + name, MfdCloexec);
            if (fd >= 0) return new MemoryFile(new SafeFileHandle(fd, ownsHandle: true), $"/proc/self/fd/{fd}");
        }
        return new MemoryFile(null, System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"condensaps-{name}-{Guid.NewGuid():N}.tmp"));
    }

    public long Length => new FileInfo(Path).Length;

    /// <summary>A fresh read stream over the whole content.</summary>
    public Stream OpenRead() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);

    public byte[] ReadAllBytes()
    {
        using var stream = OpenRead();
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public void WriteAllBytes(ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(bytes);
    }

    public void Dispose()
    {
        if (_handle != null) _handle.Dispose();
        else
            try { File.Delete(Path); } catch (IOException) { }
    }

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    private static extern int MemfdCreate(string name, uint flags);
}
