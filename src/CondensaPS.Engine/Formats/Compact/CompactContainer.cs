using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>One section of a compact file: a four-letter kind and its body.</summary>
public sealed record CompactSection(string Kind, byte[] Body);

/// <summary>
/// The outer layer of a compact file: the header (magic, version, section count, payload length, SHA-256 of the
/// payload, CRC-32 of the header) and the sections (kind, flags, length, CRC-32, body). Reading checks everything
/// before any section is interpreted, so a damaged file is refused before anything is built from it.
/// </summary>
public static class CompactContainer
{
    public static byte[] Write(IReadOnlyList<CompactSection> sections)
    {
        using var payload = new MemoryStream();
        Span<byte> sectionHeader = stackalloc byte[CompactFormat.SectionHeaderLength];
        foreach (var section in sections)
        {
            if (section.Kind.Length != 4 || section.Kind.Any(c => c > 127))
                throw new ArgumentException($"Section kind '{section.Kind}' must be four ASCII characters.");
            Encoding.ASCII.GetBytes(section.Kind, sectionHeader[..4]);
            BinaryPrimitives.WriteUInt32LittleEndian(sectionHeader[4..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(sectionHeader[8..], (ulong)section.Body.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(sectionHeader[16..], Crc32.Compute(section.Body));
            payload.Write(sectionHeader);
            payload.Write(section.Body);
        }
        var payloadBytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        var file = new byte[CompactFormat.HeaderLength + payloadBytes.Length];
        var header = file.AsSpan(0, CompactFormat.HeaderLength);
        CompactFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[8..], CompactFormat.Version);
        BinaryPrimitives.WriteUInt16LittleEndian(header[10..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)sections.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], (ulong)payloadBytes.Length);
        SHA256.HashData(payloadBytes, header.Slice(24, 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[56..], Crc32.Compute(header[..56]));
        payloadBytes.CopyTo(file.AsSpan(CompactFormat.HeaderLength));
        return file;
    }

    /// <summary>Checks the header, the payload hash and every section's CRC, then returns the sections.</summary>
    public static IReadOnlyList<CompactSection> Read(byte[] file, string path) => Read(file, path, out _);

    /// <summary>As <see cref="Read(byte[], string)"/>, and says which format version the file is.</summary>
    public static IReadOnlyList<CompactSection> Read(byte[] file, string path, out ushort version)
    {
        var (count, header, readVersion) = ReadHeader(file, file.Length, path);
        version = readVersion;
        var payload = file.AsSpan(CompactFormat.HeaderLength);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(header.AsSpan(24, 32)))
            throw Checksum(path, "the payload's SHA-256 does not match the header");

        var sections = new List<CompactSection>();
        int at = 0;
        for (uint i = 0; i < count; i++)
        {
            if (payload.Length - at < CompactFormat.SectionHeaderLength)
                throw Invalid(path, $"section {i + 1} of {count} has no room for its header");
            var kind = Encoding.ASCII.GetString(payload.Slice(at, 4));
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(payload[(at + 8)..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(payload[(at + 16)..]);
            at += CompactFormat.SectionHeaderLength;
            if (length > (ulong)(payload.Length - at))
                throw Invalid(path, $"section '{kind}' claims {length:N0} bytes, more than remain");
            var body = payload.Slice(at, (int)length).ToArray();
            if (Crc32.Compute(body) != crc)
                throw Checksum(path, $"section '{kind}' fails its CRC-32");
            sections.Add(new CompactSection(kind, body));
            at += (int)length;
        }
        if (at != payload.Length)
            throw Invalid(path, $"{payload.Length - at:N0} bytes follow the last of {count} sections");
        return sections;
    }

    /// <summary>
    /// Checks the magic, version, header CRC and the announced payload length against <paramref name="fileLength"/>;
    /// <paramref name="start"/> holds at least the header's bytes (or all the file has). Returns the section count and
    /// the header. A file too large to read whole is judged by this alone.
    /// </summary>
    public static (uint Count, byte[] Header, ushort Version) ReadHeader(ReadOnlySpan<byte> start, long fileLength, string path)
    {
        if (fileLength < 10 || !CompactFormat.HasMagic(start))
        {
            int n = (int)Math.Min(Math.Min(fileLength, 8), start.Length);
            if (fileLength < 10 && start[..n].SequenceEqual(CompactFormat.Magic[..n]))
                throw Truncated(path, $"it ends after {fileLength} bytes, inside the header");
            throw new EngineException("NotCompactFile", EngineErrorKind.InvalidData, $"'{path}' is not a compact (.cpz) model file: its magic bytes do not match.", path);
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(start[8..]);
        if (version is < CompactFormat.OldestReadableVersion or > CompactFormat.Version)
            throw new EngineException("CompactVersionUnsupported", EngineErrorKind.NotSupported,
                $"'{path}' is compact format version {version}; this CondensaPS reads versions {CompactFormat.OldestReadableVersion} to {CompactFormat.Version}. Use a CondensaPS that supports version {version}, or re-export the model.", path);
        if (fileLength < CompactFormat.HeaderLength || start.Length < CompactFormat.HeaderLength)
            throw Truncated(path, $"it ends after {fileLength} bytes, inside the {CompactFormat.HeaderLength}-byte header");
        var header = start[..CompactFormat.HeaderLength];
        if (Crc32.Compute(header[..56]) != BinaryPrimitives.ReadUInt32LittleEndian(header[56..]))
            throw Checksum(path, "the header's CRC-32 does not match");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        ulong payloadLength = BinaryPrimitives.ReadUInt64LittleEndian(header[16..]);
        ulong available = (ulong)(fileLength - CompactFormat.HeaderLength);
        if (payloadLength > available)
            throw Truncated(path, $"the header announces {payloadLength:N0} payload bytes but only {available:N0} follow");
        if (payloadLength < available)
            throw Checksum(path, $"{available - payloadLength:N0} bytes follow the announced payload");
        return (count, header.ToArray(), version);
    }

    internal static EngineException Truncated(string path, string detail) =>
        new("CompactTruncated", EngineErrorKind.InvalidData, $"'{path}' is a truncated compact model file: {detail}.", path);

    internal static EngineException Checksum(string path, string detail) =>
        new("CompactChecksumMismatch", EngineErrorKind.InvalidData, $"'{path}' is a corrupted compact model file: {detail}.", path);

    internal static EngineException Invalid(string path, string detail, Exception? inner = null) =>
        new("CompactInvalid", EngineErrorKind.InvalidData, $"'{path}' is not a valid compact model file: {detail}.", path, inner);
}
