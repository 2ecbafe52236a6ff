using CondensaPS.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Native;

/// <summary>
/// Tensor-and-number arithmetic whose native scalar lives until the operation has returned. TorchSharp turns a number
/// into a <see cref="Scalar"/> (a native handle with a finalizer) and passes only its handle to libtorch, so in
/// `tensor * 0.5` nothing holds the Scalar during the native call: a garbage collection started by another thread can
/// finalize it and free the native value while libtorch reads it. Worker processes saw exactly that, sporadically, in
/// the retraining loss ("Unknown scalar type", "Expected false to be true" from c10::Scalar::toDouble). Here the
/// Scalar is disposed after the call, which keeps it reachable until then. Use these in per-batch code. (TorchSharp's
/// add(Scalar) also passes an implicit alpha of 1, so the additions here pass a held one.)
/// </summary>
public static class HeldScalars
{
    public static Tensor Times(this Tensor tensor, double value)
    {
        using var s = value.ToScalar();
        return tensor.mul(s);
    }

    public static Tensor Plus(this Tensor tensor, double value)
    {
        using var s = value.ToScalar();
        using var one = 1.ToScalar();
        return tensor.add(s, one);
    }

    public static Tensor Over(this Tensor tensor, double value)
    {
        using var s = value.ToScalar();
        return tensor.div(s);
    }

    /// <summary><paramref name="value"/> minus the tensor.</summary>
    public static Tensor SubtractedFrom(this Tensor tensor, double value)
    {
        using var s = value.ToScalar();
        using var one = 1.ToScalar();
        var negated = tensor.neg();
        return negated.add_(s, one);
    }

    public static Tensor Power(this Tensor tensor, double exponent)
    {
        using var s = exponent.ToScalar();
        return tensor.pow(s);
    }

    public static Tensor GreaterThan(this Tensor tensor, double value)
    {
        using var s = value.ToScalar();
        return tensor.gt(s);
    }

    /// <summary>tensor x factor + offset, both scalars held.</summary>
    public static Tensor TimesPlus(this Tensor tensor, double factor, double offset)
    {
        using var f = factor.ToScalar();
        using var o = offset.ToScalar();
        using var one = 1.ToScalar();
        var scaled = tensor.mul(f);
        return scaled.add_(o, one);
    }
}
