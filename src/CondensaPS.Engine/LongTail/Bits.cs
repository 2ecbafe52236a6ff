namespace CondensaPS.Engine.LongTail;

/// <summary>A bool per example packed 8 to a byte (least significant bit first) and written as base64, as the subset results carry them.</summary>
public static class Bits
{
    public static string Encode(bool[] values)
    {
        var bytes = new byte[(values.Length + 7) / 8];
        for (int i = 0; i < values.Length; i++) if (values[i]) bytes[i / 8] |= (byte)(1 << (i % 8));
        return Convert.ToBase64String(bytes);
    }

    public static bool[] Decode(string text, int count)
    {
        var bytes = Convert.FromBase64String(text);
        if (bytes.Length != (count + 7) / 8) throw new FormatException($"{bytes.Length} byte(s) of bits for {count} values");
        var values = new bool[count];
        for (int i = 0; i < count; i++) values[i] = (bytes[i / 8] & (1 << (i % 8))) != 0;
        return values;
    }
}
