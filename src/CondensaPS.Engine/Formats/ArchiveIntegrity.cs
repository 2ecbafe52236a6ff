using System.IO.Compression;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// Checks every member of a zip archive (TorchScript archives, torch.save files) against the CRC-32 its zip
/// headers record, before libtorch or the unpickler reads any of it: neither checks, so a flipped bit in a tensor's
/// bytes would load as a wrong weight. The structure is checked first (<see cref="ZipDirectory"/>). The error names
/// the damaged member.
/// </summary>
public static class ArchiveIntegrity
{
    private const int BufferBytes = 1 << 20;

    /// <param name="path">The archive.</param>
    /// <param name="shownAs">How errors name it (the path by default).</param>
    public static void Verify(string path, string? shownAs = null)
    {
        var name = shownAs ?? path;
        try
        {
            using var zip = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var buffer = new byte[BufferBytes];
            foreach (var member in ZipDirectory.Read(zip, name))
            {
                var crc = new System.IO.Hashing.Crc32();
                long total = 0;
                using (var data = MemberData(zip, member))
                {
                    try
                    {
                        int read;
                        while ((read = data.Read(buffer, 0, buffer.Length)) > 0)
                        {
                            total += read;
                            if (total > member.Size) break;
                            crc.Append(buffer.AsSpan(0, read));
                        }
                    }
                    catch (InvalidDataException e)
                    {
                        throw Corrupt(name, member.Name, $"its data cannot be decompressed ({e.Message})", e);
                    }
                    catch (EndOfStreamException e)
                    {
                        throw Corrupt(name, member.Name, e.Message, e);
                    }
                }
                if (total != member.Size)
                    throw Corrupt(name, member.Name, $"it holds {(total > member.Size ? "more than " : "")}{total:N0} bytes where its header says {member.Size:N0}");
                uint actual = crc.GetCurrentHashAsUInt32();
                if (actual != member.Crc32)
                    throw new EngineException("ArchiveChecksumMismatch", EngineErrorKind.InvalidData,
                        $"'{name}' is damaged: its member '{member.Name}' fails its CRC-32 check (recorded 0x{member.Crc32:X8}, read 0x{actual:X8}); nothing was loaded.", name);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.NotReadable(name, e);
        }
    }

    /// <summary>A member's data, inflated when it is deflated (the directory was checked: it lies within the file).</summary>
    private static Stream MemberData(FileStream zip, ZipMember member)
    {
        zip.Position = member.DataStart;
        var raw = new BoundedStream(zip, member.CompressedSize);
        return member.Method == 8 ? new DeflateStream(raw, CompressionMode.Decompress) : raw;
    }

    /// <summary>Reads at most <c>length</c> bytes of a stream from where it stands (leaving the stream open).</summary>
    private sealed class BoundedStream : Stream
    {
        private readonly Stream _inner;
        private long _left;

        public BoundedStream(Stream inner, long length) { _inner = inner; _left = length; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left <= 0) return 0;
            int read = _inner.Read(buffer, offset, (int)Math.Min(count, _left));
            if (read == 0) throw new EndOfStreamException("the archive ends inside a member's data");
            _left -= read;
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static EngineException Corrupt(string name, string member, string why, Exception? inner = null) =>
        new("ArchiveMemberCorrupt", EngineErrorKind.InvalidData, $"'{name}' is damaged: its member '{member}' is unreadable: {why}; nothing was loaded.", name, inner);

}
