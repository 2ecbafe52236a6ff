namespace CondensaPS.Engine.Structure;

/// <summary>
/// What the structure interpreter knows of a tensor: its shape for the analysed input, what its channel dimension
/// (dimension 1) is made of, and, for a parameter, buffer or constant, its name. No data.
/// </summary>
internal sealed class AbstractTensor
{
    public AbstractTensor(IReadOnlyList<long> shape, ChannelLayout? channels = null, string? name = null)
    {
        Shape = shape.ToArray();
        Channels = channels;
        Name = name;
    }

    public long[] Shape { get; }
    /// <summary>The layout of dimension 1 of an activation (rank 2 or more); null for parameters and other data.</summary>
    public ChannelLayout? Channels { get; }
    /// <summary>The parameter's or buffer's full name ("layer1.0.conv1.weight"), or "CONSTANTS.cN"; null for activations.</summary>
    public string? Name { get; }
    /// <summary>A parameter seen through torch.t (as Linear's old addmm form uses it).</summary>
    public bool Transposed { get; init; }
    /// <summary>A number wrapped as a tensor (prim::NumToTensor), when known.</summary>
    public object? Scalar { get; init; }

    public bool IsParameter => Name is not null;
    public int Rank => Shape.Length;

    public override string ToString() => $"{Name ?? "tensor"}[{string.Join("x", Shape)}]{(Channels is null ? "" : " " + Channels)}";
}
