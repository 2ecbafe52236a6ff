namespace CondensaPS.Engine.LongTail;

/// <summary>
/// One training example's memorisation score as Feldman and Zhang (2020) estimate it: the accuracy on it of the models
/// trained on it (<see cref="AccuracyIn"/>, over <see cref="ModelsIn"/> models) minus that of the models that were not
/// (<see cref="AccuracyOut"/>, over <see cref="ModelsOut"/>), with its standard error (<see cref="ProportionDifference"/>).
/// NaN when every model, or none, trained on it.
/// </summary>
public sealed record MemorizationScore
{
    /// <summary>The example's position in the training data set.</summary>
    public int Index { get; init; }
    public long Label { get; init; }
    public double Memorization { get; init; }
    public double StandardError { get; init; }
    public int ModelsIn { get; init; }
    public int ModelsOut { get; init; }
    public double AccuracyIn { get; init; }
    /// <summary>The held-out accuracy: how often a model that never saw the example gets it right.</summary>
    public double AccuracyOut { get; init; }

    public override string ToString() => FormattableString.Invariant($"#{Index} (label {Label}): memorization {Memorization:0.###} +/- {StandardError:0.###} ({ModelsIn} in, {ModelsOut} out)");
}

/// <summary>
/// One training example's influence on one test example (Feldman and Zhang 2020): the test example's accuracy over
/// the models trained on the training example minus over those that were not, with its standard error.
/// </summary>
public sealed record Influence
{
    public int TrainingIndex { get; init; }
    public long TrainingLabel { get; init; }
    public double Value { get; init; }
    public double StandardError { get; init; }

    public override string ToString() => FormattableString.Invariant($"#{TrainingIndex} (label {TrainingLabel}): {Value:0.###} +/- {StandardError:0.###}");
}

/// <summary>
/// One test example: how often the subset models get it right (<see cref="Accuracy"/>), and its most influential
/// training examples, largest influence first. <see cref="Influence"/> is the largest (the example's long-tail score:
/// a test example that one training example decides is a rare one); NaN when no training example has both groups.
/// </summary>
public sealed record TestExampleScore
{
    public int Index { get; init; }
    public long Label { get; init; }
    public double Accuracy { get; init; }
    public int Models { get; init; }
    public double Influence { get; init; }
    public double InfluenceStandardError { get; init; }
    /// <summary>The training example with the largest influence (-1: none).</summary>
    public int InfluentialExample { get; init; } = -1;
    public IReadOnlyList<Influence> TopInfluences { get; init; } = Array.Empty<Influence>();

    public override string ToString() => FormattableString.Invariant($"#{Index} (label {Label}): accuracy {Accuracy:0.###}, influence {Influence:0.###} from #{InfluentialExample}");
}
