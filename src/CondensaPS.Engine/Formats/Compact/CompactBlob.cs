using System.IO.Compression;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// A byte stream inside a tensor record: codec (u8), raw length (LEB128), stored length (LEB128), stored bytes. The
/// writer deflates a stream only when that makes it smaller.
/// </summary>
public sealed class CompactBlob
{
    private CompactBlob(StreamCodec codec, int rawLength, byte[] stored)
    {
        Codec = codec;
        RawLength = rawLength;
        Stored = stored;
    }

    public StreamCodec Codec { get; }
    public int RawLength { get; }
    public byte[] Stored { get; }
    /// <summary>Bytes this stream takes in the file, its small header included.</summary>
    public int EncodedLength => 1 + LebLength(RawLength) + LebLength(Stored.Length) + Stored.Length;

    public static CompactBlob Encode(byte[] raw)
    {
        if (raw.Length >= 64)
        {
            var deflated = Deflate(raw);
            if (deflated.Length < raw.Length) return new CompactBlob(StreamCodec.Deflate, raw.Length, deflated);
        }
        return new CompactBlob(StreamCodec.Raw, raw.Length, raw);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write((byte)Codec);
        Leb128.Write(writer, RawLength);
        Leb128.Write(writer, Stored.Length);
        writer.Write(Stored);
    }

    /// <summary>
    /// Reads a stream and returns its raw bytes: exactly <paramref name="expectedRaw"/> of them when that is known
    /// (not negative), otherwise at most <paramref name="maxRaw"/>.
    /// </summary>
    public static byte[] Read(BinaryReader reader, long expectedRaw, string what, long maxRaw = -1)
    {
        var codec = (StreamCodec)reader.ReadByte();
        long raw = Leb128.Read(reader);
        long stored = Leb128.Read(reader);
        if (expectedRaw >= 0 ? raw != expectedRaw : raw < 0 || raw > maxRaw)
            throw new InvalidDataException($"{what}: {raw} raw bytes where {(expectedRaw >= 0 ? expectedRaw.ToString() : "at most " + maxRaw)} are expected");
        if (stored > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new EndOfStreamException($"{what}: {stored} stored bytes run past the section");
        var bytes = reader.ReadBytes((int)stored);
        switch (codec)
        {
            case StreamCodec.Raw:
                if (stored != raw) throw new InvalidDataException($"{what}: raw stream of {stored} bytes, {raw} expected");
                return bytes;
            case StreamCodec.Deflate:
                var result = new byte[raw];
                using (var inflater = new DeflateStream(new MemoryStream(bytes), CompressionMode.Decompress))
                {
                    int at = 0;
                    while (at < result.Length)
                    {
                        int n = inflater.Read(result, at, result.Length - at);
                        if (n == 0) throw new InvalidDataException($"{what}: deflated stream inflates to {at} bytes, {raw} expected");
                        at += n;
                    }
                    if (inflater.ReadByte() >= 0) throw new InvalidDataException($"{what}: deflated stream inflates to more than {raw} bytes");
                }
                return result;
            default:
                throw new InvalidDataException($"{what}: unknown stream codec {(byte)codec}");
        }
    }

    public static byte[] Deflate(ReadOnlySpan<byte> raw)
    {
        using var output = new MemoryStream();
        using (var deflater = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true)) deflater.Write(raw);
        return output.ToArray();
    }

    public static byte[] Inflate(byte[] deflated, long rawLength)
    {
        using var input = new DeflateStream(new MemoryStream(deflated), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        if (output.Length != rawLength) throw new InvalidDataException($"deflated data inflates to {output.Length} bytes, {rawLength} expected");
        return output.ToArray();
    }

    internal static int LebLength(long value)
    {
        int n = 1;
        for (ulong v = (ulong)value >> 7; v != 0; v >>= 7) n++;
        return n;
    }
}
