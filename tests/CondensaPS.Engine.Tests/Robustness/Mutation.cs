using System.Buffers.Binary;
using System.Text;

namespace CondensaPS.Engine.Tests.Robustness;

/// <summary>A mutated copy of one input file: its bytes, how far to stretch it with a sparse hole, and what was done.</summary>
internal sealed record Mutated(byte[] Bytes, long SparseLength, string Description);

/// <summary>
/// Seeded mutations of a file: truncation, bit flips, overwritten runs, header lies (a structural number set to a
/// boundary or huge value) and huge sizes (a sparse extension to gigabytes). For text (YAML) also deep nesting,
/// alias bombs and huge numbers.
/// </summary>
internal static class Mutation
{
    private static readonly ulong[] Lies =
    {
        0, 1, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1UL << 40, 0x7FFFFFFFFFFFFFFF, ulong.MaxValue,
    };

    public static Mutated Apply(byte[] original, InputKind kind, string file, Random rng)
    {
        int choice = rng.Next(kind.TextVariantsAreValid ? 7 : 5);
        return choice switch
        {
            0 => Truncate(original, rng),
            1 => FlipBits(original, kind.FlippableRanges(original, file), rng),
            2 => OverwriteRun(original, kind.FlippableRanges(original, file), rng),
            3 => Lie(original, kind.HeaderFields(original, file), kind.FlippableRanges(original, file), rng),
            4 => Huge(original, rng),
            5 => TextLie(original, rng),
            _ => TextBomb(original, rng),
        };
    }

    private static Mutated Truncate(byte[] b, Random rng)
    {
        // Half the cuts fall in the first 512 bytes, where the headers are.
        long length = rng.Next(2) == 0 ? rng.NextInt64(Math.Min(b.Length, 512)) : rng.NextInt64(b.Length);
        return new Mutated(b[..(int)length], 0, $"truncate to {length} of {b.Length} bytes");
    }

    private static long Pick(IReadOnlyList<(long Start, long End)> ranges, Random rng)
    {
        long total = ranges.Sum(r => r.End - r.Start);
        long at = rng.NextInt64(Math.Max(total, 1));
        foreach (var (start, end) in ranges)
        {
            if (at < end - start) return start + at;
            at -= end - start;
        }
        return ranges.Count > 0 ? ranges[0].Start : 0;
    }

    private static Mutated FlipBits(byte[] original, IReadOnlyList<(long Start, long End)> ranges, Random rng)
    {
        if (ranges.Sum(r => r.End - r.Start) == 0) return Truncate(original, rng);
        var b = (byte[])original.Clone();
        int flips = 1 + rng.Next(8);
        var where = new List<string>();
        for (int i = 0; i < flips; i++)
        {
            long at = Pick(ranges, rng);
            int bit = rng.Next(8);
            b[at] ^= (byte)(1 << bit);
            where.Add($"{at}.{bit}");
        }
        return new Mutated(b, 0, $"flip bits {string.Join(",", where)}");
    }

    private static Mutated OverwriteRun(byte[] original, IReadOnlyList<(long Start, long End)> ranges, Random rng)
    {
        if (ranges.Sum(r => r.End - r.Start) == 0) return Truncate(original, rng);
        var b = (byte[])original.Clone();
        long at = Pick(ranges, rng);
        int length = 1 + rng.Next(16);
        var run = new byte[length];
        rng.NextBytes(run);
        long end = Math.Min(b.Length, at + length);
        var range = ranges.FirstOrDefault(r => at >= r.Start && at < r.End);
        if (range != default) end = Math.Min(end, range.End);
        run.AsSpan(0, (int)(end - at)).CopyTo(b.AsSpan((int)at));
        return new Mutated(b, 0, $"overwrite {end - at} bytes at {at}");
    }

    private static Mutated Lie(byte[] original, IReadOnlyList<HeaderField> fields, IReadOnlyList<(long Start, long End)> ranges, Random rng)
    {
        if (fields.Count == 0) return OverwriteRun(original, ranges, rng);
        var b = (byte[])original.Clone();
        var field = fields[rng.Next(fields.Count)];
        // A lie that the field cannot hold would be cut to another value, which may be a valid one.
        var lies = Lies.Where(l => l >= field.InvalidFrom && (field.Width >= 8 || field.InvalidFrom == 0 || l < 1UL << (8 * field.Width))).ToArray();
        ulong lie = lies[rng.Next(lies.Length)];
        if (field.What == "json-number")
        {
            // A number in JSON text: replace its digits with the lie's digits (the header length moves with it).
            return JsonNumberLie(original, field, lie);
        }
        if (field.What == "leb128")
        {
            var text = new List<byte>();
            ulong v = lie;
            do { byte x = (byte)(v & 0x7F); v >>= 7; if (v != 0) x |= 0x80; text.Add(x); } while (v != 0);
            var spliced = original[..(int)field.Offset].Concat(text).Concat(original[(int)Math.Min(original.Length, field.Offset + 1)..]).ToArray();
            return new Mutated(spliced, 0, $"leb128 at {field.Offset} := {lie}");
        }
        if (field.Offset + field.Width > b.Length) return Truncate(original, rng);
        var span = b.AsSpan((int)field.Offset, field.Width);
        switch (field.Width)
        {
            case 1: span[0] = (byte)lie; break;
            case 2: if (field.BigEndian) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)lie); else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)lie); break;
            case 4: if (field.BigEndian) BinaryPrimitives.WriteUInt32BigEndian(span, (uint)lie); else BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)lie); break;
            default: if (field.BigEndian) BinaryPrimitives.WriteUInt64BigEndian(span, lie); else BinaryPrimitives.WriteUInt64LittleEndian(span, lie); break;
        }
        return new Mutated(b, 0, $"{field.What} at {field.Offset} := {lie}");
    }

    private static Mutated JsonNumberLie(byte[] original, HeaderField field, ulong lie)
    {
        var digits = Encoding.ASCII.GetBytes(lie.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var b = original[..(int)field.Offset].Concat(digits).Concat(original[(int)(field.Offset + field.Width)..]).ToArray();
        // Keep the 8-byte header length true to the new text, so the lie is in the JSON, not in its framing.
        ulong headerLength = BitConverter.ToUInt64(original, 0) + (ulong)(digits.Length - field.Width);
        BinaryPrimitives.WriteUInt64LittleEndian(b, headerLength);
        return new Mutated(b, 0, $"json number at {field.Offset} := {lie}");
    }

    private static Mutated Huge(byte[] b, Random rng)
    {
        long[] sizes = { 3L << 30, 5L << 30, (1L << 31) - 1, 1L << 32 };
        long size = sizes[rng.Next(sizes.Length)];
        return new Mutated(b, size, $"extend to {size} bytes (sparse)");
    }

    private static Mutated TextLie(byte[] original, Random rng)
    {
        var text = Encoding.UTF8.GetString(original);
        var numbers = System.Text.RegularExpressions.Regex.Matches(text, @"\b\d+(\.\d+)?\b");
        if (numbers.Count == 0) return Truncate(original, rng);
        var m = numbers[rng.Next(numbers.Count)];
        string[] lies = { "1e309", "-1", "99999999999999999999999", "NaN", ".inf", "0x7fffffff", "1e-400", "-0", "18446744073709551616" };
        var lie = lies[rng.Next(lies.Length)];
        return new Mutated(Encoding.UTF8.GetBytes(text[..m.Index] + lie + text[(m.Index + m.Length)..]), 0, $"number at {m.Index} := {lie}");
    }

    private static Mutated TextBomb(byte[] original, Random rng)
    {
        var text = Encoding.UTF8.GetString(original);
        int at = text.IndexOf("steps:", StringComparison.Ordinal);
        if (at < 0) at = 0;
        string bomb = rng.Next(3) switch
        {
            0 => "deep: " + new string('[', 5000) + new string(']', 5000) + "\n",
            1 => "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
                 "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
                 "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
            _ => "long: \"" + new string('x', 200_000) + "\"\n",
        };
        return new Mutated(Encoding.UTF8.GetBytes(text[..at] + bomb + text[at..]), 0, $"insert {bomb.Length}-byte {(bomb.StartsWith("deep") ? "nesting" : bomb.StartsWith("a:") ? "alias bomb" : "long scalar")} at {at}");
    }
}
