using System.Buffers.Binary;
using System.Text;

namespace CondensaPS.Engine.Formats;

/// <summary>One member of a zip archive as its central directory records it, checked against its local header.</summary>
internal sealed record ZipMember(string Name, ushort Method, uint Crc32, long CompressedSize, long Size, long DataStart);

/// <summary>
/// Reads a zip archive's directory (zip64 included, as PyTorch writes it) and checks that every part of the
/// structure agrees with every other: the end records with the central directory, each central record with its
/// local header (signature, name, method, flags), each data descriptor with its central record, member data within
/// the file and not overlapping, names unique. A zip holds most of this information twice, so a damaged byte in
/// the structure shows as a disagreement; libtorch's own reader trusts the central directory alone, and a member it
/// cannot find ends the process.
/// </summary>
internal static class ZipDirectory
{
    private const uint LocalSignature = 0x04034b50, CentralSignature = 0x02014b50, EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50, Zip64LocatorSignature = 0x07064b50, DescriptorSignature = 0x08074b50;
    private const ushort DescriptorFlag = 0x8;
    private const uint DosFolderAttribute = 0x10;

    public static IReadOnlyList<ZipMember> Read(Stream zip, string name)
    {
        long length = zip.Length;
        var (entries, directoryStart, directorySize, directoryEnd) = FindDirectory(zip, length, name);
        if (directoryStart < 0 || directorySize < 0 || directoryStart + directorySize > directoryEnd || directorySize > int.MaxValue)
            throw Damaged(name, $"its central directory ({directorySize:N0} bytes at {directoryStart:N0}) does not fit before its end record at {directoryEnd:N0}");
        var directory = ReadAt(zip, directoryStart, (int)directorySize, name);
        var members = new List<ZipMember>();
        // miniz looks members up by name without regard to case.
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var spans = new List<(long Start, long End, string Name)>();
        int at = 0;
        for (long i = 0; i < entries; i++)
        {
            if (directory.Length - at < 46 || BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(at)) != CentralSignature)
                throw Damaged(name, $"central directory record {i + 1} of {entries} is missing or damaged");
            var record = directory.AsSpan(at);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(record[8..]);
            ushort method = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(record[20..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(record[24..]);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(record[28..]);
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(record[30..]);
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(record[32..]);
            uint externalAttributes = BinaryPrimitives.ReadUInt32LittleEndian(record[38..]);
            long localOffset = BinaryPrimitives.ReadUInt32LittleEndian(record[42..]);
            if (46 + nameLength + extraLength + commentLength > record.Length)
                throw Damaged(name, $"central directory record {i + 1} runs past the directory");
            var nameBytes = record.Slice(46, nameLength).ToArray();
            var member = Encoding.UTF8.GetString(nameBytes);
            ReadZip64Extra(record.Slice(46 + nameLength, extraLength), ref size, ref compressed, ref localOffset, name, member);
            at += 46 + nameLength + extraLength + commentLength;
            if (!names.Add(member))
                throw Corrupt(name, member, "its name appears twice in the directory");
            // libtorch's zip reader (miniz) takes a member marked as a folder (a name ending in '/' or the MS-DOS
            // folder attribute) for an empty one and hands back nothing: a tensor would load as whatever memory held.
            if (size > 0 && (member.EndsWith('/') || (externalAttributes & DosFolderAttribute) != 0))
                throw Corrupt(name, member, "it holds data but is marked as a folder");
            if (method is not (0 or 8))
                throw Corrupt(name, member, $"its compression method {method} is neither stored (0) nor deflate (8)");
            if (method == 0 && compressed != size)
                throw Corrupt(name, member, $"it is stored, yet its compressed size {compressed:N0} differs from its size {size:N0}");

            // The local header must name the same member with the same method and flags.
            if (localOffset < 0 || localOffset + 30 > directoryStart)
                throw Corrupt(name, member, $"its local header offset {localOffset:N0} is outside the archive's data");
            var local = ReadAt(zip, localOffset, 30, name);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != LocalSignature)
                throw Corrupt(name, member, $"no local header at offset {localOffset:N0}");
            ushort localFlags = BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(6));
            ushort localMethod = BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(8));
            int localNameLength = BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26));
            int localExtraLength = BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
            if (localMethod != method || (localFlags & DescriptorFlag) != (flags & DescriptorFlag))
                throw Corrupt(name, member, "its local header and its directory record disagree on how it is stored");
            if (localOffset + 30 + localNameLength + localExtraLength > directoryStart)
                throw Corrupt(name, member, "its local header runs into the central directory");
            var localName = ReadAt(zip, localOffset + 30, localNameLength, name);
            if (!localName.AsSpan().SequenceEqual(nameBytes))
                throw Corrupt(name, member, $"its local header names it '{Encoding.UTF8.GetString(localName)}'");
            long dataStart = localOffset + 30 + localNameLength + localExtraLength;
            long dataEnd = dataStart + compressed;
            if (compressed < 0 || dataEnd > directoryStart)
                throw Corrupt(name, member, $"its {compressed:N0} bytes of data run past the start of the central directory");
            if ((flags & DescriptorFlag) == 0)
            {
                uint localCrc = BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(14));
                uint localCompressed = BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(18));
                uint localSize = BinaryPrimitives.ReadUInt32LittleEndian(local.AsSpan(22));
                if (localCrc != crc || (localCompressed != 0xFFFFFFFF && localCompressed != compressed) || (localSize != 0xFFFFFFFF && localSize != size))
                    throw Corrupt(name, member, "its local header and its directory record disagree on its CRC or sizes");
            }
            else dataEnd = CheckDescriptor(zip, dataEnd, directoryStart, crc, compressed, size, name, member);
            spans.Add((localOffset, dataEnd, member));
            members.Add(new ZipMember(member, method, crc, compressed, size, dataStart));
        }
        if (at != directory.Length)
            throw Damaged(name, $"{directory.Length - at:N0} bytes of its central directory follow the last of {entries} records");
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < spans.Count; i++)
            if (spans[i].Start < spans[i - 1].End)
                throw Corrupt(name, spans[i].Name, $"its data overlaps member '{spans[i - 1].Name}'");
        return members;
    }

    /// <summary>The data descriptor after a member's data must repeat its CRC and sizes; returns where it ends.</summary>
    private static long CheckDescriptor(Stream zip, long at, long limit, uint crc, long compressed, long size, string name, string member)
    {
        int available = (int)Math.Min(24, limit - at);
        var d = ReadAt(zip, at, available, name);
        int skip = d.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(d) == DescriptorSignature ? 4 : 0;
        // Sizes are 8 bytes each in a zip64 descriptor, 4 otherwise; accept whichever matches.
        bool Matches(int width)
        {
            if (d.Length < skip + 4 + 2 * width) return false;
            if (BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(skip)) != crc) return false;
            long c = width == 8 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(skip + 4)) : BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(skip + 4));
            long s = width == 8 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(skip + 4 + width)) : BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(skip + 4 + width));
            return c == compressed && s == size;
        }
        if (Matches(8)) return at + skip + 20;
        if (Matches(4)) return at + skip + 12;
        throw Corrupt(name, member, "its data descriptor disagrees with its directory record on its CRC or sizes");
    }

    private static void ReadZip64Extra(ReadOnlySpan<byte> extra, ref long size, ref long compressed, ref long offset, string name, string member)
    {
        bool needSize = size == 0xFFFFFFFF, needCompressed = compressed == 0xFFFFFFFF, needOffset = offset == 0xFFFFFFFF;
        if (!needSize && !needCompressed && !needOffset) return;
        int at = 0;
        while (at + 4 <= extra.Length)
        {
            ushort id = BinaryPrimitives.ReadUInt16LittleEndian(extra[at..]);
            ushort length = BinaryPrimitives.ReadUInt16LittleEndian(extra[(at + 2)..]);
            if (at + 4 + length > extra.Length) break;
            if (id == 1)
            {
                var field = extra.Slice(at + 4, length);
                int needed = (needSize ? 8 : 0) + (needCompressed ? 8 : 0) + (needOffset ? 8 : 0);
                if (field.Length < needed) throw Corrupt(name, member, "its zip64 sizes are cut short");
                int p = 0;
                var values = new long[3];
                for (int k = 0; k < 3; k++)
                {
                    if (!(k == 0 ? needSize : k == 1 ? needCompressed : needOffset)) continue;
                    values[k] = (long)BinaryPrimitives.ReadUInt64LittleEndian(field[p..]);
                    if (values[k] < 0) throw Corrupt(name, member, "its zip64 sizes are out of range");
                    p += 8;
                }
                if (needSize) size = values[0];
                if (needCompressed) compressed = values[1];
                if (needOffset) offset = values[2];
                return;
            }
            at += 4 + length;
        }
        throw Corrupt(name, member, "its sizes need a zip64 extra field, which it lacks");
    }

    /// <summary>The entry count and the central directory's start, size and end (the end record that follows it).</summary>
    private static (long Entries, long Start, long Size, long End) FindDirectory(Stream zip, long length, string name)
    {
        int tail = (int)Math.Min(length, 22 + 0xFFFF);
        var end = ReadAt(zip, length - tail, tail, name);
        int eocd = -1;
        for (int i = end.Length - 22; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(end.AsSpan(i)) == EndSignature && i + 22 + BinaryPrimitives.ReadUInt16LittleEndian(end.AsSpan(i + 20)) == end.Length)
            {
                eocd = i;
                break;
            }
        if (eocd < 0)
            throw new EngineException("TruncatedArchive", EngineErrorKind.InvalidData, $"'{name}' is a damaged or truncated zip archive: its end record is missing.", name);
        long eocdAt = length - tail + eocd;
        var e = end.AsSpan(eocd);
        if (BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(e[6..]) != 0)
            throw Damaged(name, "it spans several disks");
        long entries = BinaryPrimitives.ReadUInt16LittleEndian(e[10..]);
        if (BinaryPrimitives.ReadUInt16LittleEndian(e[8..]) != entries)
            throw Damaged(name, "its end record gives two entry counts");
        long size = BinaryPrimitives.ReadUInt32LittleEndian(e[12..]);
        long start = BinaryPrimitives.ReadUInt32LittleEndian(e[16..]);
        long directoryEnd = eocdAt;
        if (eocdAt >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(ReadAt(zip, eocdAt - 20, 4, name)) == Zip64LocatorSignature)
        {
            var locator = ReadAt(zip, eocdAt - 20, 20, name);
            long zip64At = (long)BinaryPrimitives.ReadUInt64LittleEndian(locator.AsSpan(8));
            if (zip64At < 0 || zip64At + 56 > eocdAt - 20)
                throw Damaged(name, $"its zip64 end record offset {zip64At:N0} is outside the archive");
            var z = ReadAt(zip, zip64At, 56, name);
            if (BinaryPrimitives.ReadUInt32LittleEndian(z) != Zip64EndSignature)
                throw Damaged(name, "its zip64 end record is missing");
            long entries64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(32));
            long size64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(40));
            long start64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(48));
            if ((long)BinaryPrimitives.ReadUInt64LittleEndian(z.AsSpan(24)) != entries64)
                throw Damaged(name, "its zip64 end record gives two entry counts");
            // The 32-bit fields either repeat the zip64 values or say "see zip64" (all ones).
            if ((entries != 0xFFFF && entries != entries64) || (size != 0xFFFFFFFF && size != size64) || (start != 0xFFFFFFFF && start != start64))
                throw Damaged(name, "its end record and its zip64 end record disagree");
            (entries, size, start, directoryEnd) = (entries64, size64, start64, zip64At);
        }
        if (start + size != directoryEnd)
            throw Damaged(name, $"its central directory ({size:N0} bytes at {start:N0}) does not end where its end record begins ({directoryEnd:N0})");
        if (entries < 0 || entries > size / 46)
            throw Damaged(name, $"its end record counts {entries:N0} members, more than its directory can hold");
        return (entries, start, size, directoryEnd);
    }

    private static byte[] ReadAt(Stream zip, long offset, int count, string name)
    {
        if (offset < 0 || count < 0 || offset + count > zip.Length)
            throw Damaged(name, $"a record at offset {offset:N0} runs past the end of the file");
        var bytes = new byte[count];
        zip.Position = offset;
        zip.ReadExactly(bytes);
        return bytes;
    }

    private static EngineException Damaged(string name, string why) =>
        new("TruncatedArchive", EngineErrorKind.InvalidData, $"'{name}' is a damaged or truncated zip archive: {why}.", name);

    internal static EngineException Corrupt(string name, string member, string why) =>
        new("ArchiveMemberCorrupt", EngineErrorKind.InvalidData, $"'{name}' is damaged: its member '{member}' is unreadable: {why}; nothing was loaded.", name);
}
