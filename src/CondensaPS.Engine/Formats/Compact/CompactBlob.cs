using System.IO.Compression;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// A byte stream: codec (u8), raw length (LEB128), stored length (LEB128), stored bytes. The writer tries every codec
/// (raw; DEFLATE; canonical Huffman over bytes, version 2; Brotli, version 2, for streams up to
/// <see cref="BrotliLimit"/> bytes) and keeps the smallest, the earlier codec on a tie.
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

    /// <summary>Brotli at quality 11 codes about a megabyte a second here; larger streams are not tried with it.</summary>
    public const int BrotliLimit = 1 << 18;

    /// <summary>The smallest of the codecs; Brotli only up to <paramref name="brotliLimit"/> bytes (sections of text pass no limit).</summary>
    public static CompactBlob Encode(byte[] raw, int brotliLimit = BrotliLimit)
    {
        var best = new CompactBlob(StreamCodec.Raw, raw.Length, raw);
        if (raw.Length == 0) return best;
        void Consider(StreamCodec codec, byte[] stored)
        {
            if (stored.Length < best.Stored.Length) best = new CompactBlob(codec, raw.Length, stored);
        }
        if (raw.Length >= 16) Consider(StreamCodec.Deflate, Deflate(raw));
        Consider(StreamCodec.Huffman, HuffmanCodec.Encode(raw));
        if (raw.Length <= brotliLimit) Consider(StreamCodec.Brotli, Brotli(raw));
        return best;
    }

    /// <summary>One codec only (tests and measurements compare them).</summary>
    public static CompactBlob Encode(byte[] raw, StreamCodec codec) => new(codec, raw.Length, codec switch
    {
        StreamCodec.Raw => raw,
        StreamCodec.Deflate => Deflate(raw),
        StreamCodec.Huffman => HuffmanCodec.Encode(raw),
        StreamCodec.Brotli => Brotli(raw),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, null),
    });

    /// <summary>The stream as it is written (header and stored bytes).</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream(EncodedLength);
        using var writer = new BinaryWriter(stream);
        Write(writer);
        writer.Flush();
        return stream.ToArray();
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
                // DEFLATE expands at most 1032:1; a larger claim is damage, and is refused before it is allocated.
                if (raw > stored * 1032 + 1024) throw new InvalidDataException($"{what}: {stored} deflated bytes cannot inflate to {raw}");
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
            case StreamCodec.Huffman:
                return HuffmanCodec.Decode(bytes, checked((int)raw));
            case StreamCodec.Brotli:
                return Unbrotli(bytes, raw, what);
            default:
                throw new InvalidDataException($"{what}: unknown stream codec {(byte)codec}");
        }
    }

    /// <summary>Reads a stream whose raw length the caller checks (a section body: at most <paramref name="maxRaw"/> bytes).</summary>
    public static byte[] ReadWhole(byte[] body, string what, long maxRaw)
    {
        using var reader = new BinaryReader(new MemoryStream(body));
        var raw = Read(reader, -1, what, maxRaw);
        if (reader.BaseStream.Position != body.Length) throw new InvalidDataException($"{what}: bytes follow its stream");
        return raw;
    }

    public static byte[] Brotli(ReadOnlySpan<byte> raw)
    {
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(raw.Length)];
        if (!BrotliEncoder.TryCompress(raw, output, out int written, quality: 11, window: 24))
            throw new InvalidOperationException("Brotli could not compress a stream into its maximum compressed length.");
        return output[..written];
    }

    private static byte[] Unbrotli(byte[] stored, long raw, string what)
    {
        // One spare byte tells a stream that decodes to too much from one that decodes to exactly enough.
        var result = new byte[raw + 1];
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(stored, result, out int consumed, out int written);
        if (status != System.Buffers.OperationStatus.Done || consumed != stored.Length || written != raw)
            throw new InvalidDataException($"{what}: Brotli stream decodes to {written} bytes ({status}), {raw} expected");
        return result[..(int)raw];
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
