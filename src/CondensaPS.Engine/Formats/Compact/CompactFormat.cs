namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// Constants of the compact model format (.cpz, see docs/compact-format.md). The first ten bytes (magic and format
/// version) are fixed for every version; everything after them is defined by the version.
/// </summary>
public static class CompactFormat
{
    /// <summary>"\x89CPZ\r\n\x1a\n": a high byte, the name, and line-ending bytes that text-mode transfers damage (as PNG).</summary>
    public static ReadOnlySpan<byte> Magic => new byte[] { 0x89, (byte)'C', (byte)'P', (byte)'Z', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>The version this writer writes (2: entropy coding, weight sharing, compressed sections and code).</summary>
    public const ushort Version = 2;
    /// <summary>The oldest version this reader reads.</summary>
    public const ushort OldestReadableVersion = 1;
    public const string Extension = ".cpz";

    /// <summary>magic(8) version(2) flags(2) sections(4) payload-length(8) payload-sha256(32) header-crc32(4).</summary>
    public const int HeaderLength = 60;
    /// <summary>kind(4) flags(4) length(8) crc32(4).</summary>
    public const int SectionHeaderLength = 20;

    public const string MetadataSection = "META";
    public const string ArchitectureSection = "ARCH";
    public const string TorchScriptSection = "TSAR";
    public const string TensorSection = "TENS";
    public const string HistorySection = "HIST";

    public static bool HasMagic(ReadOnlySpan<byte> head) => head.Length >= 8 && head[..8].SequenceEqual(Magic);
}

/// <summary>How a tensor's values are laid out: every element, or only the elements at listed positions.</summary>
public enum CompactLayout : byte
{
    Dense = 0,
    Sparse = 1,
}

/// <summary>How a set of positions (stored elements or a mask's kept elements) is written.</summary>
public enum PositionEncoding : byte
{
    /// <summary>One bit per element, least significant bit first.</summary>
    Bitmask = 0,
    /// <summary>LEB128 gaps: the first position, then (next - previous - 1) for each further one.</summary>
    DeltaIndex = 1,
    /// <summary>Version 2: the same gaps as single bytes 0..254, a byte 255 adding 255 to the next gap (Deep Compression's filler), for an entropy codec to code.</summary>
    ByteGaps = 2,
}

/// <summary>The element type values are stored at.</summary>
public enum ValueStorage : byte
{
    /// <summary>The tensor's own dtype, raw little-endian bytes (float32 weights, int64 counters, ...).</summary>
    Raw = 0,
    Float16 = 1,
    BFloat16 = 2,
    /// <summary>Signed 8-bit integers q; the value is q * scale (per tensor or per channel).</summary>
    Int8 = 3,
    /// <summary>Version 2: one byte per value, its index into the tensor's codebook (the quantization record's).</summary>
    ClusterIndex = 4,
}

/// <summary>How a mask is recorded for a parameter.</summary>
public enum MaskMode : byte
{
    None = 0,
    /// <summary>The mask keeps exactly the stored (sparse) positions.</summary>
    StoredPositions = 1,
    /// <summary>The mask is its own position stream (for densely stored tensors).</summary>
    Explicit = 2,
}

/// <summary>How a byte stream is compressed: the writer keeps whichever is smallest.</summary>
public enum StreamCodec : byte
{
    Raw = 0,
    /// <summary>Raw DEFLATE (RFC 1951).</summary>
    Deflate = 1,
    /// <summary>Version 2: canonical Huffman over bytes (<see cref="HuffmanCodec"/>).</summary>
    Huffman = 2,
    /// <summary>Version 2: Brotli (RFC 7932).</summary>
    Brotli = 3,
}
