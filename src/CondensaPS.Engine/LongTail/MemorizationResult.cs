using System.Globalization;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// Measure-Memorization's result: how it was estimated (K subset models at a subset ratio, the recipe, the models that
/// failed and were left out), one <see cref="MemorizationScore"/> per training example, one
/// <see cref="TestExampleScore"/> per test example, and summary figures of the estimate's spread. Written to a file
/// (<see cref="MemorizationFile"/>) that Measure-Mismatch -Score and retraining's example-scores read; each data set is
/// identified by its fingerprint, so scores are only ever applied to the examples they were estimated on.
/// </summary>
public sealed class MemorizationResult
{
    public string Architecture { get; init; } = "";
    public string Model { get; init; } = "";
    public int SubsetCount { get; init; }
    public double SubsetRatio { get; init; }
    public int Seed { get; init; }
    /// <summary>fresh (each subset model newly initialised, seeded) or given (every subset model starts from the model's weights).</summary>
    public string Initialization { get; init; } = "";
    public int TopInfluences { get; init; }
    /// <summary>The retrain settings each subset model was trained with.</summary>
    public IReadOnlyDictionary<string, object?> Recipe { get; init; } = new Dictionary<string, object?>();
    /// <summary>Subset models whose outcomes the scores are computed from.</summary>
    public int ModelsUsed { get; init; }
    /// <summary>Subset models that failed to train or died: excluded from every score.</summary>
    public IReadOnlyList<SubsetModelFailure> FailedModels { get; init; } = Array.Empty<SubsetModelFailure>();
    public string TrainingData { get; init; } = "";
    public string TrainingFingerprint { get; init; } = "";
    public string? TestData { get; init; }
    public string? TestFingerprint { get; init; }
    public IReadOnlyList<MemorizationScore> Training { get; init; } = Array.Empty<MemorizationScore>();
    public IReadOnlyList<TestExampleScore> Test { get; init; } = Array.Empty<TestExampleScore>();
    /// <summary>Even-numbered models' memorisation scores against odd-numbered ones' (Pearson, over the training examples).</summary>
    public double SplitHalfCorrelation { get; init; }
    /// <summary>The mean training accuracy of the subset models on their own subsets (how well the recipe fits).</summary>
    public double MeanSubsetAccuracy { get; init; }
    /// <summary>The mean accuracy of the subset models on the test data (NaN without test data).</summary>
    public double MeanTestAccuracy { get; init; }

    public string? Folder { get; init; }
    /// <summary>The scores file (memorization.json in the run's folder).</summary>
    public string? Path { get; init; }
    public int ModelsRun { get; init; }
    public int ModelsResumed { get; init; }
    public string? Executor { get; init; }
    public TimeSpan Elapsed { get; init; }

    public int TrainingCount => Training.Count;
    public int TestCount => Test.Count;
    public double MeanMemorization => Mean(Training.Select(s => s.Memorization));
    /// <summary>The mean standard error of the memorisation scores (the typical spread of one estimate).</summary>
    public double MeanStandardError => Mean(Training.Select(s => s.StandardError));
    /// <summary>Training examples with a memorisation score of 0.5 or more.</summary>
    public int HighlyMemorized => Training.Count(s => s.Memorization >= 0.5);
    /// <summary>Training examples without a score (every model, or none, trained on them).</summary>
    public int Undefined => Training.Count(s => double.IsNaN(s.Memorization));

    /// <summary>The named per-example score (<see cref="ExampleScoreNames"/>) of the training or the test examples.</summary>
    public double[] Scores(string name)
    {
        switch (name.ToLowerInvariant())
        {
            case ExampleScoreNames.Memorization: return Training.Select(s => s.Memorization).ToArray();
            case ExampleScoreNames.HeldOutAccuracy: return Training.Select(s => s.AccuracyOut).ToArray();
            case ExampleScoreNames.Influence: return RequireTest(name).Select(s => s.Influence).ToArray();
            case ExampleScoreNames.Accuracy: return RequireTest(name).Select(s => s.Accuracy).ToArray();
            default:
                throw new EngineException("UnknownScoreName", EngineErrorKind.InvalidArgument,
                    $"'{name}' is not a score of a memorisation result; it has {string.Join(", ", ExampleScoreNames.Training)} (training examples) and {string.Join(", ", ExampleScoreNames.Test)} (test examples).", name);
        }
    }

    /// <summary>Whether the named score is one of the training examples' (else the test examples').</summary>
    public static bool IsTrainingScore(string name) => ExampleScoreNames.Training.Contains(name.ToLowerInvariant());

    private IReadOnlyList<TestExampleScore> RequireTest(string name) => TestFingerprint is not null ? Test
        : throw new EngineException("ScoreNeedsTestData", EngineErrorKind.InvalidArgument,
            $"The '{name}' score is per test example, and this memorisation result was estimated without test data (Measure-Memorization -TestData).", name);

    private static double Mean(IEnumerable<double> values)
    {
        double sum = 0;
        int n = 0;
        foreach (var v in values) if (!double.IsNaN(v)) { sum += v; n++; }
        return n == 0 ? double.NaN : sum / n;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Architecture} on {TrainingData}: {ModelsUsed} of {SubsetCount} subset models at {SubsetRatio:0.##}, mean memorization {MeanMemorization:0.###} (mean standard error {MeanStandardError:0.###}), {HighlyMemorized} example(s) at 0.5 or more");
}
