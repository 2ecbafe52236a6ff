using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>What a path names, without following a final symbolic link (lstat's file type).</summary>
public enum FileKindName
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Unknown,
}

/// <summary>
/// Tells a regular file from a FIFO, a device or a socket, which .NET's FileInfo reports alike as existing files.
/// On Linux it asks statx (whose struct layout is the same on every architecture); elsewhere it goes by
/// FileAttributes, which marks devices on Windows.
/// </summary>
public static class FileKind
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int StatxSize = 256;

    public static FileKindName Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            var buffer = new byte[StatxSize];
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
                return FileKindName.Missing;
            int mode = BitConverter.ToUInt16(buffer, StatxModeOffset) & 0xF000;
            return mode switch
            {
                0x8000 => FileKindName.RegularFile,
                0x4000 => FileKindName.Directory,
                0xA000 => FileKindName.SymbolicLink,
                0x1000 => FileKindName.Fifo,
                0x2000 => FileKindName.CharacterDevice,
                0x6000 => FileKindName.BlockDevice,
                0xC000 => FileKindName.Socket,
                _ => FileKindName.Unknown,
            };
        }
        var info = new FileInfo(path);
        if (info.LinkTarget != null) return FileKindName.SymbolicLink;
        if (Directory.Exists(path)) return FileKindName.Directory;
        if (!info.Exists) return FileKindName.Missing;
        return info.Attributes.HasFlag(FileAttributes.Device) ? FileKindName.CharacterDevice : FileKindName.RegularFile;
    }

    /// <summary>How an error message names the kind ("a FIFO", "a character device", ...).</summary>
    public static string Describe(FileKindName kind) => kind switch
    {
        FileKindName.RegularFile => "a regular file",
        FileKindName.Directory => "a folder",
        FileKindName.SymbolicLink => "a symbolic link",
        FileKindName.Fifo => "a FIFO (named pipe)",
        FileKindName.CharacterDevice => "a character device",
        FileKindName.BlockDevice => "a block device",
        FileKindName.Socket => "a socket",
        FileKindName.Missing => "missing",
        _ => "not a regular file",
    };

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);
}
