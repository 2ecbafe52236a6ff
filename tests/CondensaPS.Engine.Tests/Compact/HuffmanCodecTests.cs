using CondensaPS.Engine.Formats.Compact;

namespace CondensaPS.Engine.Tests.Compact;

public class HuffmanCodecTests
{
    private static byte[] RoundTrip(byte[] data)
    {
        var encoded = HuffmanCodec.Encode(data);
        Assert.Equal(data, HuffmanCodec.Decode(encoded, data.Length));
        return encoded;
    }

    [Fact]
    public void Skewed_streams_round_trip_near_their_entropy()
    {
        var random = new Random(3);
        // Geometric symbols: entropy about 2 bits.
        var data = Enumerable.Range(0, 20000).Select(_ => { int s = 0; while (random.NextDouble() < 0.5 && s < 40) s++; return (byte)s; }).ToArray();
        var encoded = RoundTrip(data);
        double entropy = data.GroupBy(b => b).Sum(g => { double p = (double)g.Count() / data.Length; return -p * Math.Log2(p); });
        Assert.InRange(encoded.Length * 8.0 / data.Length, entropy, entropy + 0.1);
    }

    [Fact]
    public void Hand_computed_codes_for_a_small_stream()
    {
        // Counts a:4 b:2 c:1 d:1 give lengths 1, 2, 3, 3; canonical codes a=0 b=10 c=110 d=111.
        var data = "aaaabbcd"u8.ToArray();
        var encoded = RoundTrip(data);
        Assert.Equal((byte)'d', encoded[0]);
        Assert.Equal(1 + ('d' + 2) / 2 + 2, encoded.Length);
        Assert.Equal(0x1, encoded[1 + 'a' / 2] >> ('a' % 2 * 4) & 0xF);
        // 0 0 0 0 10 10 110 111 -> 0000 1010 | 1101 11(00)
        Assert.Equal(new byte[] { 0b0000_1010, 0b1101_1100 }, encoded[^2..]);
    }

    [Fact]
    public void Edge_streams_round_trip()
    {
        Assert.Empty(RoundTrip(Array.Empty<byte>()));
        Assert.Equal(1 + (7 + 2) / 2 + 1, RoundTrip(Enumerable.Repeat((byte)7, 5).ToArray()).Length); // one symbol: one bit each
        RoundTrip(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        var random = new Random(9);
        var bytes = new byte[5000];
        random.NextBytes(bytes);
        RoundTrip(bytes);
        // Fibonacci counts need codes longer than 15 bits unless they are limited.
        var fib = new List<byte>();
        long a = 1, b = 1;
        for (int s = 0; s < 25; s++) { for (long i = 0; i < a; i++) fib.Add((byte)s); (a, b) = (b, a + b); }
        var encoded = RoundTrip(fib.ToArray());
        Assert.All(Enumerable.Range(0, 25), s => Assert.InRange(encoded[1 + s / 2] >> (s % 2 * 4) & 0xF, 1, HuffmanCodec.MaxCodeLength));
    }

    [Fact]
    public void Damaged_streams_are_refused_with_InvalidDataException()
    {
        var data = "aaaabbcd"u8.ToArray();
        var good = HuffmanCodec.Encode(data);
        byte[] With(Action<byte[]> change) { var copy = (byte[])good.Clone(); change(copy); return copy; }

        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(good[..^1], data.Length)); // ends early
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(good.Append((byte)0).ToArray(), data.Length)); // a byte too many
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(With(c => c[^1] |= 1), data.Length)); // set padding bits
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(With(c => c[1 + 'b' / 2] = 0x11), data.Length)); // over-subscribed: three 1-bit codes
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(With(c => Array.Clear(c, 1, c.Length - 3)), data.Length)); // no symbol
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(good, 1000)); // more symbols than the bits can hold
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(new byte[] { 3 }, 4)); // table cut short
        // One symbol with a 1-bit code: the code 1 is not in the table.
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(new byte[] { 0, 0x1, 0xFF }, 2));
        Assert.Throws<InvalidDataException>(() => HuffmanCodec.Decode(new byte[] { 0 }, 0));
        // Random garbage never escapes as anything but InvalidDataException.
        var random = new Random(1);
        for (int i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(1, 40)];
            random.NextBytes(junk);
            try { HuffmanCodec.Decode(junk, random.Next(0, 100)); }
            catch (InvalidDataException) { }
        }
    }
}
