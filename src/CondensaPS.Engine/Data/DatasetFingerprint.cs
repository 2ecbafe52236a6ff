using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CondensaPS.Engine.Data;

/// <summary>A data set's identity for per-example scores: SHA-256 over its count, sample shape, labels and raw samples.</summary>
internal static class DatasetFingerprint
{
    public static string Of(int count, int channels, int height, int width, IReadOnlyList<long> labels, byte[] pixels)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(0), count);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), channels);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), height);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), width);
        sha.AppendData(header);
        var label = new byte[8];
        foreach (var l in labels)
        {
            BinaryPrimitives.WriteInt64LittleEndian(label, l);
            sha.AppendData(label);
        }
        sha.AppendData(pixels);
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
