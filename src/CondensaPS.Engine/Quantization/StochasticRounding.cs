using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// Stochastic rounding onto the float16, bfloat16 and int8 grids, with a caller's generator (so a seeded retrain is
/// reproducible). Values already on the grid stay exactly where they are.
/// </summary>
internal static class StochasticRounding
{
    /// <summary>
    /// Rounds float values to float16 or bfloat16 stochastically; the result is float32 holding grid values. The grid
    /// spacing at x is 2^(e - m) with x = f * 2^e (0.5 &lt;= |f| &lt; 1) and m the type's fraction bits plus one,
    /// never finer than the type's subnormal spacing; values beyond the type's range round to nearest (to infinity).
    /// </summary>
    public static Tensor ToFloat(Tensor x, StorageType type, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (fractionBits, minExponent, lowType) = type switch
        {
            StorageType.Float16 => (10, -14, ScalarType.Float16),
            StorageType.BFloat16 => (7, -126, ScalarType.BFloat16),
            _ => throw new ArgumentException($"Stochastic rounding to {type} is not float rounding.", nameof(type)),
        };
        var v = x.to(ScalarType.Float64);
        var (_, exponent) = v.frexp();
        // frexp gives |x| = f * 2^e with 0.5 <= f < 1, so x lies in [2^(e-1), 2^e): spacing 2^(e-1-fractionBits).
        var e = exponent.to(ScalarType.Float64).sub(1).clamp_min(minExponent);
        var step = torch.pow(2.0, e - fractionBits);
        var lower = (v / step).floor() * step;
        var up = torch.rand(v.shape, dtype: ScalarType.Float64, generator: generator).lt((v - lower) / step);
        var rounded = where(up, lower + step, lower);
        var nearest = x.to(lowType).to(x.dtype);
        // Beyond the type's largest finite value, and for non-finite inputs: round to nearest, as a cast does.
        var result = where(rounded.isfinite().logical_and(rounded.to(lowType).to(ScalarType.Float64).eq(rounded)), rounded.to(x.dtype), nearest);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Stochastic int8 levels: floor(w / scale + u), u uniform in [0, 1), clamped to [-127, 127].</summary>
    public static Tensor Int8Levels(Tensor weight, Tensor scale, Generator generator)
    {
        using var scope = NewDisposeScope();
        var u = torch.rand(weight.shape, dtype: weight.dtype, generator: generator);
        return weight.div(Int8Quantizer.Broadcast(scale, weight)).add(u).floor().clamp(-Int8Quantizer.MaxLevel, Int8Quantizer.MaxLevel).MoveToOuterDisposeScope();
    }
}
