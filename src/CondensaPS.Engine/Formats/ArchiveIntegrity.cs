using System.IO.Compression;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// Checks every member of a zip archive (TorchScript archives, torch.save files) against the CRC-32 its zip
/// headers record, before libtorch or the unpickler reads any of it: neither checks, so a flipped bit in a tensor's
/// bytes would load as a wrong weight. The error names the damaged member.
/// </summary>
internal static class ArchiveIntegrity
{
    private const int BufferBytes = 1 << 20;

    /// <param name="path">The archive.</param>
    /// <param name="shownAs">How errors name it (the path by default).</param>
    public static void Verify(string path, string? shownAs = null)
    {
        var name = shownAs ?? path;
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw Truncated(name, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.NotReadable(name, e);
        }
        using (zip)
        {
            var buffer = new byte[BufferBytes];
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/') && entry.Length == 0) continue;
                var crc = new System.IO.Hashing.Crc32();
                long total = 0;
                try
                {
                    using var stream = entry.Open();
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        total += read;
                        if (total > entry.Length) break;
                        crc.Append(buffer.AsSpan(0, read));
                    }
                }
                catch (InvalidDataException e)
                {
                    throw Corrupt(name, entry.FullName, $"its data cannot be decompressed ({e.Message})", e);
                }
                catch (EndOfStreamException e)
                {
                    throw Truncated(name, $"member '{entry.FullName}' is cut short", e);
                }
                catch (IOException e)
                {
                    throw ModelFileErrors.NotReadable(name, e);
                }
                if (total != entry.Length)
                    throw Corrupt(name, entry.FullName, $"it holds {(total > entry.Length ? "more than " : "")}{total:N0} bytes where its header says {entry.Length:N0}");
                uint actual = crc.GetCurrentHashAsUInt32();
                if (actual != entry.Crc32)
                    throw new EngineException("ArchiveChecksumMismatch", EngineErrorKind.InvalidData,
                        $"'{name}' is damaged: its member '{entry.FullName}' fails its CRC-32 check (recorded 0x{entry.Crc32:X8}, read 0x{actual:X8}); nothing was loaded.", name);
            }
        }
    }

    private static EngineException Corrupt(string name, string member, string why, Exception? inner = null) =>
        new("ArchiveMemberCorrupt", EngineErrorKind.InvalidData, $"'{name}' is damaged: its member '{member}' is unreadable: {why}; nothing was loaded.", name, inner);

    private static EngineException Truncated(string name, string why, Exception e) =>
        new("TruncatedArchive", EngineErrorKind.InvalidData, $"'{name}' is a damaged or truncated zip archive: {why}", name, e);
}
