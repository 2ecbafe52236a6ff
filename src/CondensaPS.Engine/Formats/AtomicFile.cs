namespace CondensaPS.Engine.Formats;

/// <summary>
/// Writes a file so that it is either fully there or not changed at all: the content goes to a temp file in the
/// same folder, which then replaces the target in one rename. Overwrites need <c>overwrite</c> (the cmdlets' -Force).
/// A cancellation (Ctrl+C) that arrives while the content is written removes the temp file and leaves the target as
/// it was.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, bool overwrite, Action<string> writeTo, CancellationToken cancellation = default)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        CheckWritable(full, overwrite);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            cancellation.ThrowIfCancellationRequested();
            writeTo(temp);
            cancellation.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite);
        }
        catch (EngineException) { throw; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException("OutputNotWritable", EngineErrorKind.WriteError, $"Cannot write '{full}': {e.Message}", full, e);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { }
        }
    }

    public static void WriteAllBytes(string path, bool overwrite, byte[] bytes) =>
        Write(path, overwrite, temp => File.WriteAllBytes(temp, bytes));

    public static void WriteAllText(string path, bool overwrite, string text) =>
        Write(path, overwrite, temp => File.WriteAllText(temp, text));

    /// <summary>Fails early, before any work, when the target exists without overwrite or its folder is missing.</summary>
    public static void CheckWritable(string path, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full))
            throw new EngineException("OutputIsDirectory", EngineErrorKind.InvalidArgument, $"'{full}' is a folder, not a file path.", full);
        if (!Directory.Exists(dir))
            throw new EngineException("OutputFolderNotFound", EngineErrorKind.ObjectNotFound, $"The folder '{dir}' does not exist.", full);
        if (File.Exists(full) && !overwrite)
            throw new EngineException("OutputExists", EngineErrorKind.ResourceExists, $"'{full}' already exists; use -Force to overwrite it.", full);
    }
}
