namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// Canonical Huffman coding of a byte stream (codec 2 of a <see cref="CompactBlob"/>): a table of code lengths, then
/// the codes, most significant bit first, zero-padded to a whole byte. Table: u8 L = the largest symbol used, then the
/// code lengths (0 = unused, 1..15) of symbols 0..L as 4-bit nibbles, two per byte, low nibble first. Codes are
/// assigned canonically (by length, then symbol, as DEFLATE does); a stream with one distinct symbol codes it in one
/// bit. Lengths are limited to 15 by halving the counts until the tree fits. The number of symbols is the blob's raw
/// length. Decoding refuses an over-subscribed table, a code that is not in the table, a stream that ends early and
/// bytes or set bits after the last symbol.
/// </summary>
public static class HuffmanCodec
{
    public const int MaxCodeLength = 15;

    public static byte[] Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return Array.Empty<byte>();
        var counts = new long[256];
        foreach (var b in data) counts[b]++;
        var lengths = CodeLengths(counts);
        int last = 255;
        while (lengths[last] == 0) last--;
        var codes = CanonicalCodes(lengths);

        long bits = 0;
        for (int s = 0; s <= last; s++) bits += counts[s] * lengths[s];
        int tableBytes = 1 + (last + 2) / 2;
        var output = new byte[tableBytes + (int)((bits + 7) / 8)];
        output[0] = (byte)last;
        for (int s = 0; s <= last; s++) output[1 + s / 2] |= (byte)(lengths[s] << (s % 2 * 4));
        int bitAt = tableBytes * 8;
        foreach (var b in data)
        {
            int length = lengths[b];
            uint code = codes[b];
            for (int i = length - 1; i >= 0; i--, bitAt++)
                if ((code >> i & 1) != 0) output[bitAt >> 3] |= (byte)(0x80 >> (bitAt & 7));
        }
        return output;
    }

    public static byte[] Decode(ReadOnlySpan<byte> encoded, int rawLength)
    {
        if (rawLength == 0)
        {
            if (encoded.Length != 0) throw new InvalidDataException($"Huffman stream of no symbols has {encoded.Length} bytes");
            return Array.Empty<byte>();
        }
        if (encoded.Length < 2) throw new InvalidDataException("Huffman stream is shorter than its table");
        int last = encoded[0];
        int tableBytes = 1 + (last + 2) / 2;
        if (encoded.Length < tableBytes) throw new InvalidDataException("Huffman stream ends inside its table");
        if (rawLength > (encoded.Length - tableBytes) * 8L) throw new InvalidDataException($"{encoded.Length - tableBytes} bytes of Huffman codes cannot hold {rawLength} symbols");
        var count = new int[MaxCodeLength + 1];
        var lengths = new int[last + 1];
        for (int s = 0; s <= last; s++)
        {
            lengths[s] = encoded[1 + s / 2] >> (s % 2 * 4) & 0xF;
            count[lengths[s]]++;
        }
        if (last % 2 == 0 && encoded[1 + last / 2] >> 4 != 0) throw new InvalidDataException("Huffman table has a length for a symbol beyond its last");
        count[0] = 0;
        // Kraft: the table must not promise more codes than there are.
        long left = 1;
        for (int len = 1; len <= MaxCodeLength; len++)
        {
            left = (left << 1) - count[len];
            if (left < 0) throw new InvalidDataException("Huffman table is over-subscribed");
        }
        if (left == 1L << MaxCodeLength) throw new InvalidDataException("Huffman table has no symbol");
        var offsets = new int[MaxCodeLength + 2];
        for (int len = 1; len <= MaxCodeLength; len++) offsets[len + 1] = offsets[len] + count[len];
        var symbols = new byte[offsets[MaxCodeLength + 1]];
        var next = (int[])offsets.Clone();
        for (int s = 0; s <= last; s++)
            if (lengths[s] != 0) symbols[next[lengths[s]]++] = (byte)s;

        var result = new byte[rawLength];
        long bitAt = tableBytes * 8L;
        long bitEnd = encoded.Length * 8L;
        for (int i = 0; i < rawLength; i++)
        {
            int code = 0, first = 0, index = 0;
            for (int len = 1; ; len++)
            {
                if (len > MaxCodeLength) throw new InvalidDataException($"Huffman stream holds a code that is not in its table (symbol {i + 1} of {rawLength})");
                if (bitAt >= bitEnd) throw new InvalidDataException($"Huffman stream ends after {i} of {rawLength} symbols");
                code |= encoded[(int)(bitAt >> 3)] >> (7 - (int)(bitAt & 7)) & 1;
                bitAt++;
                int n = count[len];
                if (code - first < n)
                {
                    result[i] = symbols[index + code - first];
                    break;
                }
                index += n;
                first = (first + n) << 1;
                code <<= 1;
            }
        }
        if (bitEnd - bitAt >= 8) throw new InvalidDataException("bytes follow the last Huffman code");
        for (; bitAt < bitEnd; bitAt++)
            if ((encoded[(int)(bitAt >> 3)] >> (7 - (int)(bitAt & 7)) & 1) != 0) throw new InvalidDataException("set bits follow the last Huffman code");
        return result;
    }

    /// <summary>Huffman code lengths (at most 15) for the symbols with a non-zero count; deterministic for equal counts.</summary>
    internal static int[] CodeLengths(long[] counts)
    {
        var lengths = new int[counts.Length];
        var used = Enumerable.Range(0, counts.Length).Where(s => counts[s] > 0).ToList();
        if (used.Count == 1) { lengths[used[0]] = 1; return lengths; }
        var weights = counts.ToArray();
        while (true)
        {
            // Nodes: leaves 0..n-1, inner nodes after; ties broken by node number, so the tree is deterministic.
            var parent = new int[2 * used.Count];
            var queue = new PriorityQueue<int, (long Weight, int Node)>();
            var nodeWeight = new long[2 * used.Count];
            for (int i = 0; i < used.Count; i++) { nodeWeight[i] = weights[used[i]]; queue.Enqueue(i, (nodeWeight[i], i)); }
            int nextNode = used.Count;
            while (queue.Count > 1)
            {
                int a = queue.Dequeue(), b = queue.Dequeue();
                nodeWeight[nextNode] = nodeWeight[a] + nodeWeight[b];
                parent[a] = parent[b] = nextNode;
                queue.Enqueue(nextNode, (nodeWeight[nextNode], nextNode));
                nextNode++;
            }
            int root = nextNode - 1, longest = 0;
            for (int i = 0; i < used.Count; i++)
            {
                int depth = 0;
                for (int node = i; node != root; node = parent[node]) depth++;
                lengths[used[i]] = depth;
                longest = Math.Max(longest, depth);
            }
            if (longest <= MaxCodeLength) return lengths;
            foreach (var s in used) weights[s] = (weights[s] >> 1) | 1;
        }
    }

    /// <summary>Canonical codes: by length, then symbol; each length's first code follows the previous length's last, shifted.</summary>
    internal static uint[] CanonicalCodes(int[] lengths)
    {
        var codes = new uint[lengths.Length];
        uint code = 0;
        int previous = 0;
        foreach (var s in Enumerable.Range(0, lengths.Length).Where(s => lengths[s] > 0).OrderBy(s => lengths[s]).ThenBy(s => s))
        {
            code <<= lengths[s] - previous;
            previous = lengths[s];
            codes[s] = code++;
        }
        return codes;
    }
}
