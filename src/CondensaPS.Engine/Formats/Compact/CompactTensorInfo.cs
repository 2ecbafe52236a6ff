namespace CondensaPS.Engine.Formats.Compact;

/// <summary>How one tensor was encoded in a compact file, and what it costs there.</summary>
public sealed record CompactTensorInfo(
    string Name,
    string Role,
    IReadOnlyList<long> Shape,
    ValueStorage Storage,
    CompactLayout Layout,
    PositionEncoding? Positions,
    MaskMode Mask,
    long StoredValues,
    long Bytes,
    long DenseFp32Bytes)
{
    /// <summary>Bytes of the position stream(s): sparse positions or an explicit mask (0 for a dense tensor without mask).</summary>
    public long PositionBytes { get; init; }
    /// <summary>Bytes of the value stream, its small header included.</summary>
    public long ValueBytes { get; init; }
    /// <summary>Bytes of the quantization record (scales or codebook).</summary>
    public long QuantizationBytes { get; init; }
    public StreamCodec? PositionCodec { get; init; }
    public StreamCodec ValueCodec { get; init; }

    public override string ToString() =>
        $"{Name} [{string.Join("x", Shape)}] {Storage} {Layout}{(Positions is { } p ? $" ({p})" : "")}: {StoredValues:N0} values, {Bytes:N0} bytes";
}
