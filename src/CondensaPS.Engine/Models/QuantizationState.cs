using static TorchSharp.torch;

namespace CondensaPS.Engine.Models;

/// <summary>
/// How one parameter is quantized. The parameter tensor itself always holds the float values the model computes
/// with: for Int8 the dequantized values q * scale, exactly, with <see cref="Scale"/> and <see cref="Axis"/> to recover
/// q = round(w / scale) for export (axis -1: one scale for the whole tensor); for Cluster the shared values
/// codebook[index], exactly, with <see cref="Codebook"/> (2^bits float32 values, ascending when made) and
/// <see cref="Indices"/> (a uint8 index per element, the parameter's shape; pruned elements keep an index too, so a
/// mask that later grows finds one).
/// </summary>
public sealed class QuantizationState : IDisposable
{
    public QuantizationState(StorageType type, Tensor? scale = null, int axis = -1)
    {
        if (type == StorageType.Cluster) throw new ArgumentException("A cluster record needs a codebook and indices: use QuantizationState.Clustered.", nameof(type));
        Type = type;
        Scale = scale;
        Axis = axis;
    }

    private QuantizationState(Tensor codebook, Tensor indices, int bits)
    {
        Type = StorageType.Cluster;
        Axis = -1;
        Codebook = codebook;
        Indices = indices;
        Bits = bits;
    }

    /// <summary>A weight-sharing record: the codebook (float32, 2^bits values) and the uint8 index of every element.</summary>
    public static QuantizationState Clustered(Tensor codebook, Tensor indices, int bits)
    {
        if (bits is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Cluster indices take 1 to 8 bits.");
        if (codebook.dim() != 1 || codebook.shape[0] > 1L << bits)
            throw new ArgumentException($"A {bits}-bit codebook has at most {1 << bits} values, not shape [{string.Join("x", codebook.shape)}].", nameof(codebook));
        if (indices.dtype != ScalarType.Byte) throw new ArgumentException("Cluster indices are uint8.", nameof(indices));
        return new QuantizationState(codebook, indices, bits);
    }

    public StorageType Type { get; }
    /// <summary>Int8 only: per-channel scales (1-D, along <see cref="Axis"/>) or a single scale (0-D).</summary>
    public Tensor? Scale { get; }
    public int Axis { get; }
    /// <summary>Cluster only: the shared values.</summary>
    public Tensor? Codebook { get; }
    /// <summary>Cluster only: each element's codebook index (uint8, the parameter's shape).</summary>
    public Tensor? Indices { get; }
    /// <summary>Cluster only: bits per index (the codebook has 2^Bits entries).</summary>
    public int Bits { get; }

    /// <summary>"float16", "int8", or "cluster5" for a 5-bit codebook.</summary>
    public string DisplayName => Type == StorageType.Cluster ? $"cluster{Bits}" : Type.ToDisplayName();

    /// <summary>Bits per stored value before any entropy coding.</summary>
    public int BitsPerValue => Type == StorageType.Cluster ? Bits : Type.BytesPerElement() * 8;

    /// <summary>Dense bytes of <paramref name="elements"/> values at this storage (scales and codebook included).</summary>
    public long StorageBytes(long elements) => Type switch
    {
        StorageType.Cluster => (elements * Bits + 7) / 8 + Codebook!.numel() * 4,
        _ => elements * Type.BytesPerElement() + (Scale is null ? 0 : Scale.numel() * 4),
    };

    public QuantizationState Clone(Device? device = null)
    {
        Tensor? Copy(Tensor? t) => t is null ? null : (device is null ? t.detach().clone() : t.detach().to(device).clone());
        return Type == StorageType.Cluster
            ? new QuantizationState(Copy(Codebook)!, Copy(Indices)!, Bits)
            : new QuantizationState(Type, Copy(Scale), Axis);
    }

    public void Dispose()
    {
        Scale?.Dispose();
        Codebook?.Dispose();
        Indices?.Dispose();
    }
}
