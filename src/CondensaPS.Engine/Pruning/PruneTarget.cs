using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>One selected weight with its existing mask (null when not yet pruned).</summary>
internal sealed record PruneTarget(string Name, Tensor Weight, Tensor? ExistingMask)
{
    /// <summary>Absolute values with already-pruned weights at zero (whatever the weight holds now).</summary>
    public Tensor Absolute() => ExistingMask is null ? Weight.abs() : Weight.abs().mul(ExistingMask);

    /// <summary>Absolute values with already-pruned weights at -1, so they are chosen before any live weight.</summary>
    public Tensor MagnitudeScores() => ExistingMask is null ? Weight.abs() : Weight.abs().masked_fill_(ExistingMask.eq(0), -1);

    /// <summary>The weight as a matrix: output channels by everything else (input channels x kernel).</summary>
    public Tensor AsMatrix(Tensor t) => t.reshape(Weight.shape[0], -1);
}

/// <summary>A layer a method could not prune, and why (reported as a warning and in the step's results).</summary>
public sealed record SkippedLayer(string Name, string Reason);
