namespace CondensaPS.Engine.Quantization;

/// <summary>How values are rounded onto a storage grid when retraining rounds them again.</summary>
public enum Rounding
{
    /// <summary>To the nearest grid value (ties to even for float16/bfloat16, away from zero for int8 levels).</summary>
    Nearest,
    /// <summary>
    /// To one of the two grid values around it, the upper with probability (x - lower) / (upper - lower): unbiased,
    /// so an update smaller than half a grid step moves the value in expectation instead of being rounded away.
    /// </summary>
    Stochastic,
}
