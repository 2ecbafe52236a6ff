namespace CondensaPS.Engine.Training;

/// <summary>How the learning rate moves over a retrain's epochs.</summary>
public enum LearningRateShape
{
    /// <summary>The learning rate throughout (after any warm-up).</summary>
    Constant,
    /// <summary>Multiplied by the decay factor every step-epochs epochs.</summary>
    Step,
    /// <summary>Half a cosine from the learning rate down to the minimum, once or in several equal cycles (warm restarts).</summary>
    Cosine,
}

/// <summary>
/// The learning rate at each batch: a linear warm-up from 0 over the first warm-up epochs, then the shape over the
/// remaining ones (constant, step decay, or cosine annealing with optional warm restarts, SGDR). Progress is counted
/// in epochs with batches as fractions, so schedules move smoothly within an epoch.
/// </summary>
public sealed class LearningRateSchedule
{
    public LearningRateSchedule(LearningRateShape shape, double rate, int epochs, double warmupEpochs = 0, double minimum = 0,
        double stepEpochs = 1, double decay = 0.1, int cycles = 1)
    {
        if (!(rate > 0)) throw new ArgumentOutOfRangeException(nameof(rate));
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs));
        if (!(warmupEpochs >= 0) || warmupEpochs > epochs) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), "warm-up must be within the epochs");
        if (!(minimum >= 0) || minimum > rate) throw new ArgumentOutOfRangeException(nameof(minimum), "the minimum must be in [0, rate]");
        if (!(stepEpochs > 0)) throw new ArgumentOutOfRangeException(nameof(stepEpochs));
        if (!(decay > 0) || decay > 1) throw new ArgumentOutOfRangeException(nameof(decay));
        if (cycles < 1) throw new ArgumentOutOfRangeException(nameof(cycles));
        Shape = shape;
        Rate = rate;
        Epochs = epochs;
        WarmupEpochs = warmupEpochs;
        Minimum = minimum;
        StepEpochs = stepEpochs;
        Decay = decay;
        Cycles = cycles;
    }

    public LearningRateShape Shape { get; }
    public double Rate { get; }
    public int Epochs { get; }
    public double WarmupEpochs { get; }
    public double Minimum { get; }
    public double StepEpochs { get; }
    public double Decay { get; }
    public int Cycles { get; }

    /// <summary>Whether the rate ever differs from <see cref="Rate"/> (a constant schedule leaves the optimizer alone).</summary>
    public bool IsConstant => Shape == LearningRateShape.Constant && WarmupEpochs == 0;

    /// <summary>
    /// The rate for batch <paramref name="batch"/> (0-based) of <paramref name="batches"/> in epoch
    /// <paramref name="epoch"/> (1-based). During warm-up a batch gets the share of the warm-up done at its end, so
    /// the first batch already moves and the last warm-up batch runs at the full rate.
    /// </summary>
    public double At(int epoch, int batch, int batches)
    {
        double start = epoch - 1 + (double)batch / batches;
        double end = start + 1.0 / batches;
        if (end < WarmupEpochs - 1e-9) return Rate * end / WarmupEpochs;
        return AtProgress(Math.Max(start, WarmupEpochs));
    }

    /// <summary>The rate after <paramref name="progress"/> epochs (0 at the start), warm-up aside.</summary>
    public double AtProgress(double progress)
    {
        if (progress < WarmupEpochs) return Rate * progress / WarmupEpochs;
        double after = progress - WarmupEpochs;
        double span = Epochs - WarmupEpochs;
        switch (Shape)
        {
            case LearningRateShape.Step:
                return Rate * Math.Pow(Decay, Math.Floor(after / StepEpochs + 1e-9));
            case LearningRateShape.Cosine:
                if (span <= 0) return Rate;
                double cycle = span / Cycles;
                double within = after % cycle / cycle;
                return Minimum + (Rate - Minimum) * 0.5 * (1 + Math.Cos(Math.PI * within));
            default:
                return Rate;
        }
    }
}
