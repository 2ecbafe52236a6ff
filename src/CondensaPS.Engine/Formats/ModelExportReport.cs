namespace CondensaPS.Engine.Formats;

/// <summary>
/// What Export-Model -Report writes: the file, its format and size, how many of its bytes each tensor type takes
/// (float32, float16, bfloat16, int8, int64, ... and "other" for headers, code and archive structure), and how the file
/// compares with the model's dense fp32 bytes.
/// </summary>
public sealed record ModelExportReport(string Model, string Path, ModelFileFormat Format, long Bytes, long DenseBytes, IReadOnlyDictionary<string, long> BytesByType)
{
    /// <summary>The <see cref="BytesByType"/> entry for everything that is not tensor values.</summary>
    public const string OtherBytes = "other";

    /// <summary>Dense fp32 bytes of the model's parameters and buffers over the file's bytes.</summary>
    public double CompressionRatio => Bytes == 0 ? 0 : (double)DenseBytes / Bytes;

    /// <summary>"float16 123,456; float32 1,024; other 512".</summary>
    public string TypeSummary => string.Join("; ", BytesByType.Select(p => $"{p.Key} {p.Value:N0}"));

    public override string ToString() => $"{Path}: {Bytes:N0} bytes ({Format}: {TypeSummary}), dense fp32 {DenseBytes:N0} bytes, ratio {CompressionRatio:N2}x";
}
