using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// Symmetric int8 quantization: q = clamp(round(w / scale), -127, 127) with scale = max|w| / 127, per output channel
/// (axis 0) or per tensor. A channel (or tensor) that is all zero gets scale 1, so q = 0 and nothing divides by zero.
/// The weight then holds q * scale exactly, the values the quantized model computes with; zeros stay zero.
/// </summary>
internal static class Int8Quantizer
{
    public const int MaxLevel = 127;

    /// <summary>The scale(s) for a weight: 1-D of length shape[0] per channel, 0-D per tensor.</summary>
    public static Tensor Scales(Tensor weight, bool perChannel)
    {
        var max = perChannel ? weight.abs().reshape(weight.shape[0], -1).amax(new long[] { 1 }) : weight.abs().max();
        var scale = max / MaxLevel;
        return scale.masked_fill(scale.eq(0), 1.0);
    }

    /// <summary>Integer levels q for a weight and its scales (as a float tensor of whole numbers).</summary>
    public static Tensor Levels(Tensor weight, Tensor scale) =>
        weight.div(Broadcast(scale, weight)).round().clamp(-MaxLevel, MaxLevel);

    /// <summary>Replaces the weight's values with q * scale, in place; returns the scales.</summary>
    public static Tensor QuantizeInPlace(Tensor weight, bool perChannel)
    {
        var scale = Scales(weight, perChannel);
        weight.copy_(Levels(weight, scale).mul(Broadcast(scale, weight)));
        return scale;
    }

    /// <summary>The scales shaped to broadcast over the weight (along axis 0), or the single scale.</summary>
    public static Tensor Broadcast(Tensor scale, Tensor weight)
    {
        if (scale.dim() == 0) return scale;
        var shape = new long[weight.dim()];
        Array.Fill(shape, 1L);
        shape[0] = weight.shape[0];
        return scale.reshape(shape);
    }
}
