using System.Buffers.Binary;
using System.Text;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Writes a zip archive the way PyTorch's PyTorchStreamWriter does: every record stored uncompressed under one
/// top-level folder (the archive name), its data aligned to 64 bytes by padding the local header's extra field (id
/// "FB", filled with 'Z'), times and dates zero. Sizes and checksums go into the local header, which is written
/// again once a record's data is through, so a tensor is streamed once and never held twice. Archives stay below
/// 4 GiB (no Zip64), which every built-in architecture does by far.
/// </summary>
internal sealed class TorchScriptZipWriter
{
    private const int Alignment = 64;
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const int LocalHeaderSize = 30;
    private const int PaddingHeaderSize = 4;

    private readonly Stream _stream;
    private readonly string _prefix;
    private readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _records = new();

    public TorchScriptZipWriter(Stream stream, string archiveName)
    {
        _stream = stream;
        _prefix = archiveName + "/";
    }

    /// <summary>Writes one record, <paramref name="name"/> relative to the archive folder ("data.pkl", "data/0").</summary>
    public void Write(string name, byte[] data) => Write(name, write => write(data));

    /// <summary>Writes one record whose bytes come in pieces: <paramref name="produce"/> passes each piece to the callback.</summary>
    public void Write(string name, Action<WriteBytes> produce)
    {
        var fullName = Encoding.UTF8.GetBytes(_prefix + name);
        long offset = _stream.Position;
        int padding = Padding(offset, fullName.Length);
        var header = LocalHeader(fullName, padding, crc: 0, size: 0);
        _stream.Write(header);
        uint crc = 0;
        long size = 0;
        produce(bytes =>
        {
            crc = Crc32.Append(crc, bytes);
            size += bytes.Length;
            _stream.Write(bytes);
        });
        long end = _stream.Position;
        if (end > uint.MaxValue)
            throw new EngineException("TorchScriptArchiveTooLarge", EngineErrorKind.NotSupported,
                $"The TorchScript archive would pass 4 GiB at '{name}'; CondensaPS writes archives up to 4 GiB.", name);
        _stream.Position = offset;
        _stream.Write(LocalHeader(fullName, padding, crc, (uint)size));
        _stream.Position = end;
        _records.Add((fullName, crc, (uint)size, (uint)offset));
    }

    /// <summary>Extra-field bytes that put the record's data on a 64-byte boundary (at least the 4-byte field header).</summary>
    private static int Padding(long offset, int nameLength)
    {
        long start = offset + LocalHeaderSize + nameLength + PaddingHeaderSize;
        return PaddingHeaderSize + (int)((Alignment - start % Alignment) % Alignment);
    }

    private static byte[] LocalHeader(byte[] name, int padding, uint crc, uint size)
    {
        var header = new byte[LocalHeaderSize + name.Length + padding];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, LocalHeaderSignature);
        // version needed, flags, method (0: stored), time, date: all zero, as PyTorch writes them.
        BinaryPrimitives.WriteUInt32LittleEndian(span[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[18..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(span[22..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(span[26..], (ushort)name.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[28..], (ushort)padding);
        name.CopyTo(span[LocalHeaderSize..]);
        var extra = span[(LocalHeaderSize + name.Length)..];
        extra[0] = (byte)'F';
        extra[1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)(padding - PaddingHeaderSize));
        extra[PaddingHeaderSize..].Fill((byte)'Z');
        return header;
    }

    /// <summary>Writes the central directory and the end record; the archive is complete after this.</summary>
    public void Finish()
    {
        long start = _stream.Position;
        foreach (var (name, crc, size, offset) in _records)
        {
            var entry = new byte[46 + name.Length];
            var span = entry.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(span, CentralHeaderSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(span[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(span[20..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(span[28..], (ushort)name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[42..], offset);
            name.CopyTo(span[46..]);
            _stream.Write(entry);
        }
        long end = _stream.Position;
        if (end > uint.MaxValue)
            throw new EngineException("TorchScriptArchiveTooLarge", EngineErrorKind.NotSupported,
                "The TorchScript archive would pass 4 GiB; CondensaPS writes archives up to 4 GiB.");
        var record = new byte[22];
        var r = record.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(r, EndSignature);
        BinaryPrimitives.WriteUInt16LittleEndian(r[8..], (ushort)_records.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(r[10..], (ushort)_records.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)(end - start));
        BinaryPrimitives.WriteUInt32LittleEndian(r[16..], (uint)start);
        _stream.Write(record);
        _stream.Flush();
    }
}

/// <summary>Receives one piece of a record's bytes.</summary>
internal delegate void WriteBytes(ReadOnlySpan<byte> bytes);
