using static TorchSharp.torch;

namespace CondensaPS.Engine.Models;

/// <summary>
/// How one parameter is quantized. The parameter tensor itself always holds the float values the model computes
/// with (for Int8, the dequantized values q * scale, exactly); <see cref="Scale"/> and <see cref="Axis"/> recover the
/// integer values q = round(w / scale) for export. Axis -1 means one scale for the whole tensor.
/// </summary>
public sealed class QuantizationState : IDisposable
{
    public QuantizationState(StorageType type, Tensor? scale = null, int axis = -1)
    {
        Type = type;
        Scale = scale;
        Axis = axis;
    }

    public StorageType Type { get; }
    /// <summary>Int8 only: per-channel scales (1-D, along <see cref="Axis"/>) or a single scale (0-D).</summary>
    public Tensor? Scale { get; }
    public int Axis { get; }

    public QuantizationState Clone(Device? device = null) =>
        new(Type, Scale is null ? null : (device is null ? Scale.detach().clone() : Scale.detach().to(device).clone()), Axis);

    public void Dispose() => Scale?.Dispose();
}
