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
    public override string ToString() =>
        $"{Name} [{string.Join("x", Shape)}] {Storage} {Layout}{(Positions is { } p ? $" ({p})" : "")}: {StoredValues:N0} values, {Bytes:N0} bytes";
}
