namespace CondensaPS.Engine.Formats;

/// <summary>What Export-Model -Report writes: the file, its format and size, and how it compares with dense fp32.</summary>
public sealed record ModelExportReport(string Model, string Path, ModelFileFormat Format, long Bytes, long DenseBytes)
{
    /// <summary>Dense fp32 bytes of the model's parameters and buffers over the file's bytes.</summary>
    public double CompressionRatio => Bytes == 0 ? 0 : (double)DenseBytes / Bytes;

    public override string ToString() => $"{Path}: {Bytes:N0} bytes ({Format}), dense fp32 {DenseBytes:N0} bytes, ratio {CompressionRatio:N2}x";
}
