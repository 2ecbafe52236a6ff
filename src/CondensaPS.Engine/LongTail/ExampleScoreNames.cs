namespace CondensaPS.Engine.LongTail;

/// <summary>
/// The per-example scores a memorisation result offers other cmdlets (Measure-Mismatch -ScoreName, retraining's
/// example-score): two for the training examples, two for the test examples.
/// </summary>
public static class ExampleScoreNames
{
    /// <summary>Training examples: Feldman and Zhang's memorisation score (the default for the training data).</summary>
    public const string Memorization = "memorization";
    /// <summary>Training examples: the accuracy of the models that did not train on the example.</summary>
    public const string HeldOutAccuracy = "held-out-accuracy";
    /// <summary>Test examples: the largest influence of a training example on it (the default for the test data).</summary>
    public const string Influence = "influence";
    /// <summary>Test examples: the share of the subset models that classify it correctly.</summary>
    public const string Accuracy = "accuracy";

    public static readonly IReadOnlyList<string> Training = new[] { Memorization, HeldOutAccuracy };
    public static readonly IReadOnlyList<string> Test = new[] { Influence, Accuracy };
    public static readonly IReadOnlyList<string> All = Training.Concat(Test).ToArray();
}
