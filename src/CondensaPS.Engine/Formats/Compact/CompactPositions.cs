namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// A set of element positions of a tensor (the stored values of a sparse tensor, or a mask's kept elements), written as
/// a bitmask, as LEB128 index gaps or as byte gaps with a 255 filler, whichever is smallest once its stream is
/// entropy-coded: encoding (u8), count (LEB128), then a <see cref="CompactBlob"/>.
/// </summary>
public sealed class CompactPositions
{
    private CompactPositions(PositionEncoding encoding, long count, CompactBlob blob)
    {
        Encoding = encoding;
        Count = count;
        Blob = blob;
    }

    public PositionEncoding Encoding { get; }
    public long Count { get; }
    public CompactBlob Blob { get; }
    public int EncodedLength => 1 + CompactBlob.LebLength(Count) + Blob.EncodedLength;

    /// <summary>Encodes every way and keeps the smallest (ties go to the earlier encoding).</summary>
    public static CompactPositions Encode(bool[] kept)
    {
        CompactPositions? best = null;
        foreach (var encoding in new[] { PositionEncoding.Bitmask, PositionEncoding.DeltaIndex, PositionEncoding.ByteGaps })
        {
            var candidate = Encode(kept, encoding);
            if (best is null || candidate.EncodedLength < best.EncodedLength) best = candidate;
        }
        return best!;
    }

    /// <summary>Encodes one way only (tests compare them).</summary>
    public static CompactPositions Encode(bool[] kept, PositionEncoding encoding) =>
        new(encoding, kept.LongCount(k => k), CompactBlob.Encode(encoding switch
        {
            PositionEncoding.Bitmask => ToBitmask(kept),
            PositionEncoding.DeltaIndex => ToDeltaIndex(kept),
            _ => ToByteGaps(kept),
        }));

    public void Write(BinaryWriter writer)
    {
        writer.Write((byte)Encoding);
        Leb128.Write(writer, Count);
        Blob.Write(writer);
    }

    /// <summary>Reads positions for a tensor of <paramref name="length"/> elements.</summary>
    public static bool[] Read(BinaryReader reader, long length, string what)
    {
        var encoding = (PositionEncoding)reader.ReadByte();
        long count = Leb128.Read(reader);
        if (count < 0 || count > length) throw new InvalidDataException($"{what}: {count} positions in a tensor of {length} elements");
        switch (encoding)
        {
            case PositionEncoding.Bitmask:
            {
                var bytes = CompactBlob.Read(reader, (length + 7) / 8, what);
                var kept = new bool[length];
                long found = 0;
                for (long i = 0; i < length; i++)
                    if ((bytes[i >> 3] & (1 << (int)(i & 7))) != 0) { kept[i] = true; found++; }
                if (found != count) throw new InvalidDataException($"{what}: bitmask has {found} positions, {count} announced");
                return kept;
            }
            case PositionEncoding.DeltaIndex:
            {
                // At most ten LEB128 bytes per position.
                var bytes = CompactBlob.Read(reader, -1, what, count * 10);
                var kept = new bool[length];
                using var gaps = new BinaryReader(new MemoryStream(bytes));
                long position = -1;
                for (long i = 0; i < count; i++)
                {
                    position += Leb128.Read(gaps) + 1;
                    if (position >= length) throw new InvalidDataException($"{what}: position {position} is outside the tensor's {length} elements");
                    kept[position] = true;
                }
                if (gaps.BaseStream.Position != bytes.Length) throw new InvalidDataException($"{what}: index bytes follow the last position");
                return kept;
            }
            case PositionEncoding.ByteGaps:
            {
                // One byte per position, plus one filler per 255 elements skipped.
                var bytes = CompactBlob.Read(reader, -1, what, count + length / 255 + 1);
                var kept = new bool[length];
                long position = -1, skip = 0, found = 0;
                foreach (var b in bytes)
                {
                    if (b == 255) { skip += 255; continue; }
                    position += skip + b + 1;
                    skip = 0;
                    if (position >= length || found == count) throw new InvalidDataException($"{what}: position {position} is outside the tensor's {length} elements or beyond the {count} announced");
                    kept[position] = true;
                    found++;
                }
                if (found != count || skip != 0) throw new InvalidDataException($"{what}: byte gaps give {found} positions, {count} announced");
                return kept;
            }
            default:
                throw new InvalidDataException($"{what}: unknown position encoding {(byte)encoding}");
        }
    }

    internal static byte[] ToBitmask(bool[] kept)
    {
        var bytes = new byte[(kept.Length + 7) / 8];
        for (int i = 0; i < kept.Length; i++)
            if (kept[i]) bytes[i >> 3] |= (byte)(1 << (i & 7));
        return bytes;
    }

    internal static byte[] ToByteGaps(bool[] kept)
    {
        var bytes = new List<byte>();
        long previous = -1;
        for (long i = 0; i < kept.Length; i++)
        {
            if (!kept[i]) continue;
            long gap = i - previous - 1;
            for (; gap >= 255; gap -= 255) bytes.Add(255);
            bytes.Add((byte)gap);
            previous = i;
        }
        return bytes.ToArray();
    }

    internal static byte[] ToDeltaIndex(bool[] kept)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        long previous = -1;
        for (long i = 0; i < kept.Length; i++)
        {
            if (!kept[i]) continue;
            Leb128.Write(writer, i - previous - 1);
            previous = i;
        }
        writer.Flush();
        return stream.ToArray();
    }
}
