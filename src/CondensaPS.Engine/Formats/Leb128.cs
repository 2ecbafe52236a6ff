namespace CondensaPS.Engine.Formats;

/// <summary>Unsigned LEB128 integers, as TorchSharp's weight format writes them.</summary>
public static class Leb128
{
    public static long Read(BinaryReader reader)
    {
        long result = 0;
        int shift = 0;
        while (true)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
            shift += 7;
            if (shift > 63) throw new FormatException("LEB128 value too long.");
        }
    }

    public static void Write(BinaryWriter writer, long value)
    {
        ulong v = (ulong)value;
        do
        {
            byte b = (byte)(v & 0x7f);
            v >>= 7;
            if (v != 0) b |= 0x80;
            writer.Write(b);
        } while (v != 0);
    }
}
