using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>A model's footprint: its dense fp32 bytes, its bytes in the compact format, and how each tensor is stored there.</summary>
public sealed record ModelFootprint(string Model, long DenseBytes, long CompactBytes, IReadOnlyList<CompactTensorInfo> Tensors)
{
    /// <summary>Dense fp32 bytes over compact bytes.</summary>
    public double CompressionRatio => CompactBytes == 0 ? 0 : (double)DenseBytes / CompactBytes;

    /// <summary>Bytes of the compact file outside the tensor records: file and section headers, metadata, architecture or code, history.</summary>
    public long OverheadBytes { get; init; }
    /// <summary>Bytes of the architecture settings or, for a TorchScript model, its stripped code.</summary>
    public long ArchitectureBytes { get; init; }
    public long HistoryBytes { get; init; }

    /// <summary>Measures by encoding the model in memory (nothing is written).</summary>
    public static ModelFootprint Of(CompressionModel model, CompactWriteOptions? options = null)
    {
        var encoding = CompactWriter.Encode(model, options);
        return new ModelFootprint(model.Name, model.DenseBytes, encoding.File.LongLength, encoding.Tensors)
        {
            OverheadBytes = encoding.File.LongLength - encoding.TensorBytes,
            ArchitectureBytes = encoding.ArchitectureBytes,
            HistoryBytes = encoding.HistoryBytes,
        };
    }

    public override string ToString() => $"{Model}: {DenseBytes:N0} dense fp32 bytes, {CompactBytes:N0} compact bytes ({CompressionRatio:N2}x)";
}
