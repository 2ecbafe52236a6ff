using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CondensaPS.Engine.Native;

namespace CondensaPS.Engine.Formats;

/// <summary>What a sweep of a folder's leftover temp files did: the ones removed and the ones a live writer still holds.</summary>
public sealed record TempFileSweep(IReadOnlyList<string> Removed, IReadOnlyList<string> Kept);

/// <summary>
/// Writes a file so that it is either fully there or not changed at all: the content goes to a temp file
/// ".&lt;name&gt;.&lt;guid&gt;.tmp" in the same folder, is flushed to disk (fsync), and then replaces the target in one
/// rename, after which the folder is flushed too. Overwrites need <c>overwrite</c> (the cmdlets' -Force), and only a
/// regular file is ever replaced (through a symbolic link, the file it points to). The writer holds an exclusive
/// lock on its temp file; a temp file of ours that nobody holds is what a killed writer left, and the next write to
/// the folder removes it. A cancelled or failed write removes its temp file, and so does the process's exit
/// (SIGINT, SIGTERM) while one is being written.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>
    /// How long an unlocked temp file must have been left unwritten before it counts as stale: the lock is what
    /// tells a live writer, and this only covers the instant between a writer's open and its lock.
    /// </summary>
    public static TimeSpan StaleAfter => FileLockingDisabled ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(2);

    /// <summary>.NET takes no file locks when this is set, so a live writer cannot be told by its lock; only age counts.</summary>
    private static bool FileLockingDisabled =>
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true";

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TempName();

    /// <summary>
    /// Temp files being written by this process, each with the source that cancels its write. A signal that ends or
    /// interrupts the process (SIGINT, SIGTERM, SIGHUP) cancels every write in flight and removes its temp file, and
    /// so does the process's exit, so neither Ctrl+C nor a scheduler's SIGTERM leaves litter; kill -9 cannot be
    /// caught, and its leftovers go at the next write to the folder (<see cref="RemoveStaleTempFiles"/>).
    /// </summary>
    private static readonly ConcurrentDictionary<string, CancellationTokenSource> Pending = new(StringComparer.Ordinal);

    private static readonly List<PosixSignalRegistration> SignalRegistrations = new();

    static AtomicFile()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => AbandonPendingWrites();
        if (OperatingSystem.IsWindows()) return;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            try { SignalRegistrations.Add(PosixSignalRegistration.Create(signal, _ => AbandonPendingWrites())); }
            catch (PlatformNotSupportedException) { }
        }
    }

    /// <summary>Cancels every write in flight and deletes its temp file (the writer's own cleanup then finds it gone).</summary>
    private static void AbandonPendingWrites()
    {
        foreach (var (temp, cancel) in Pending)
        {
            try { cancel.Cancel(); } catch (ObjectDisposedException) { }
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, which gets the temp file's stream. Cancellation
    /// (checked again after <paramref name="write"/> returns) abandons the write and leaves the target as it was.
    /// <paramref name="log"/> hears which leftover temp files were removed or kept.
    /// </summary>
    public static void Write(string path, bool overwrite, Action<Stream> write, CancellationToken cancellation = default, Action<string>? log = null)
    {
        var full = ResolveTarget(path);
        CheckWritable(full, overwrite);
        var dir = Path.GetDirectoryName(full)!;
        Report(RemoveStaleTempFiles(dir), log);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Pending[temp] = interrupt;
        try
        {
            using (var stream = new InterruptibleStream(new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), interrupt.Token))
            {
                write(stream);
                interrupt.Token.ThrowIfCancellationRequested();
                stream.Flush(flushToDisk: true);
                CheckWritable(full, overwrite);
                interrupt.Token.ThrowIfCancellationRequested();
                // Renamed while still open and locked, so no sweep can take it for a leftover in between (Windows
                // cannot rename an open file; there the stream closes first).
                if (!OperatingSystem.IsWindows()) File.Move(temp, full, overwrite);
            }
            if (OperatingSystem.IsWindows()) File.Move(temp, full, overwrite);
            FlushFolder(dir);
        }
        catch (EngineException) { throw; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            interrupt.Token.ThrowIfCancellationRequested();
            if (!overwrite && File.Exists(full) && e is IOException && !IsDiskFull(e))
                throw new EngineException("OutputExists", EngineErrorKind.ResourceExists, $"'{full}' appeared while it was being written; use -Force to overwrite it.", full, e);
            throw WriteFailed(full, e);
        }
        finally
        {
            Pending.TryRemove(temp, out _);
            try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    public static void WriteAllBytes(string path, bool overwrite, byte[] bytes) =>
        Write(path, overwrite, stream => stream.Write(bytes));

    public static void WriteAllText(string path, bool overwrite, string text) =>
        Write(path, overwrite, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    /// <summary>
    /// Fails early, before any work, when the target is a folder, a FIFO, a device or a socket, exists without
    /// overwrite, or its folder is missing. A symbolic link is judged by the file it points to.
    /// </summary>
    public static void CheckWritable(string path, bool overwrite)
    {
        var full = ResolveTarget(path);
        var dir = Path.GetDirectoryName(full)!;
        var kind = FileKind.Of(full);
        if (kind == FileKindName.Directory)
            throw new EngineException("OutputIsDirectory", EngineErrorKind.InvalidArgument, $"'{full}' is a folder, not a file path.", full);
        if (kind is not (FileKindName.Missing or FileKindName.RegularFile))
            throw new EngineException("OutputNotRegularFile", EngineErrorKind.InvalidArgument,
                $"'{full}' is {FileKind.Describe(kind)}, not a regular file; CondensaPS writes regular files only and never replaces anything else.", full);
        if (!Directory.Exists(dir))
            throw new EngineException("OutputFolderNotFound", EngineErrorKind.ObjectNotFound, $"The folder '{dir}' does not exist.", full);
        if (kind == FileKindName.RegularFile && !overwrite)
            throw new EngineException("OutputExists", EngineErrorKind.ResourceExists, $"'{full}' already exists; use -Force to overwrite it.", full);
    }

    /// <summary>
    /// Removes the temp files of ours (".&lt;name&gt;.&lt;32 hex&gt;.tmp") in <paramref name="folder"/> that no writer holds
    /// and that were last written more than <see cref="StaleAfter"/> ago; the rest are reported as kept.
    /// </summary>
    public static TempFileSweep RemoveStaleTempFiles(string folder)
    {
        var removed = new List<string>();
        var kept = new List<string>();
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, ".*.tmp").Where(f => TempName().IsMatch(Path.GetFileName(f))).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new TempFileSweep(removed, kept);
        }
        foreach (var file in candidates)
        {
            try
            {
                if (Pending.ContainsKey(file) || DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < StaleAfter)
                {
                    kept.Add(file);
                    continue;
                }
                // Opening it exclusively fails while a writer holds it; closing the probe deletes it.
                using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                removed.Add(file);
            }
            catch (FileNotFoundException) { }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                kept.Add(file);
            }
        }
        return new TempFileSweep(removed, kept);
    }

    private static void Report(TempFileSweep sweep, Action<string>? log)
    {
        if (log is null) return;
        foreach (var f in sweep.Removed) log($"Removed '{f}', a temp file that an interrupted write left behind.");
        foreach (var f in sweep.Kept) log($"Left '{f}' alone: another writer is using it (or wrote it moments ago).");
    }

    /// <summary>The file a path finally names: a symbolic link (or a chain of them) is followed to its target.</summary>
    private static string ResolveTarget(string path)
    {
        var full = Path.GetFullPath(path);
        if (FileKind.Of(full) != FileKindName.SymbolicLink) return full;
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException e)
        {
            throw new EngineException("OutputNotWritable", EngineErrorKind.WriteError, $"Cannot write '{full}': its symbolic link cannot be followed ({e.Message}).", full, e);
        }
    }

    /// <summary>Makes the rename durable: fsync on the folder (POSIX); Windows has no folder handle to flush.</summary>
    private static void FlushFolder(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = PosixFile.OpenReadOnly(dir);
        if (fd < 0) return;
        try { PosixFile.FSync(fd); } finally { PosixFile.Close(fd); }
    }

    private static bool IsDiskFull(Exception e) =>
        e.HResult is 28 or 122 // ENOSPC, EDQUOT (Unix errno)
            or unchecked((int)0x80070070) or unchecked((int)0x80070027); // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL

    private static EngineException WriteFailed(string full, Exception e) => IsDiskFull(e)
        ? new EngineException("OutputDiskFull", EngineErrorKind.WriteError,
            $"Cannot write '{full}': {Reason(e)}. Nothing was written; the target is as it was.", full, e)
        : new EngineException("OutputNotWritable", EngineErrorKind.WriteError, $"Cannot write '{full}': {Reason(e)}.", full, e);

    /// <summary>The system's reason without the path .NET appends (" : '/the/path'").</summary>
    private static string Reason(Exception e)
    {
        var message = e.Message;
        int at = message.LastIndexOf(" : '", StringComparison.Ordinal);
        return (at > 0 ? message[..at] : message).Trim().TrimEnd('.');
    }
}
