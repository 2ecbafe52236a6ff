using System.Globalization;
using CondensaPS.Engine.Data;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// Per-example scores for a data set, from one of two sources: plain values (any score a user computes, such as each
/// example's class frequency), one per example in data-set order; or a memorisation result (an object or its file),
/// whose scores apply only to the data set they were estimated on (matched by fingerprint): the training examples'
/// memorisation, the test examples' influence, or a score named explicitly (<see cref="ExampleScoreNames"/>).
/// </summary>
public sealed class ExampleScores
{
    private readonly double[]? _values;
    private readonly string _valuesName;

    private ExampleScores(double[]? values, string valuesName, MemorizationResult? result)
    {
        _values = values;
        _valuesName = valuesName;
        Result = result;
    }

    public MemorizationResult? Result { get; }

    /// <summary>The plain values (null for a memorisation result).</summary>
    public IReadOnlyList<double>? Values => _values;

    public static ExampleScores FromValues(IEnumerable<double> values, string name = "score") => new(values.ToArray(), name, null);

    public static ExampleScores FromResult(MemorizationResult result) => new(null, "", result);

    public static ExampleScores FromFile(string path) => FromResult(MemorizationFile.Read(path));

    public override string ToString() => Result is not null
        ? $"memorisation scores{(Result.Path is null ? "" : $" from {Result.Path}")}"
        : string.Create(CultureInfo.InvariantCulture, $"{_values!.Length:N0} {_valuesName} value(s)");

    /// <summary>
    /// The scores of <paramref name="data"/>'s examples and their name. Errors: ScoreCountMismatch (plain values whose
    /// count is not the data set's), ScoreDataMismatch (a memorisation result estimated on other data),
    /// ScoreNameWithoutResult, UnknownScoreName, ScoreNeedsTestData.
    /// </summary>
    public (string Name, double[] Values) For(Dataset data, string? name = null)
    {
        if (Result is null)
        {
            if (name is not null && !string.Equals(name, _valuesName, StringComparison.OrdinalIgnoreCase))
                throw new EngineException("ScoreNameWithoutResult", EngineErrorKind.InvalidArgument,
                    $"A score name ('{name}') picks one of a memorisation result's scores; these scores are plain values.", name);
            if (_values!.Length != data.Count)
                throw new EngineException("ScoreCountMismatch", EngineErrorKind.InvalidArgument,
                    string.Create(CultureInfo.InvariantCulture, $"Got {_values.Length:N0} score(s) for the {data.Count:N0} samples of '{data.Name}': give one score per sample, in the data set's order."), _values.Length);
            return (_valuesName, _values);
        }
        string fingerprint = data.Fingerprint;
        bool isTraining = fingerprint == Result.TrainingFingerprint, isTest = Result.TestFingerprint is not null && fingerprint == Result.TestFingerprint;
        name ??= isTraining ? ExampleScoreNames.Memorization : isTest ? ExampleScoreNames.Influence : null;
        if (name is null)
            throw new EngineException("ScoreDataMismatch", EngineErrorKind.InvalidArgument, Mismatch(data, "neither its training nor its test data"), data.Name);
        var values = Result.Scores(name);
        bool training = MemorizationResult.IsTrainingScore(name);
        if (training && !isTraining)
            throw new EngineException("ScoreDataMismatch", EngineErrorKind.InvalidArgument, Mismatch(data, $"not its training data, which the '{name}' score is about"), data.Name);
        if (!training && !isTest)
            throw new EngineException("ScoreDataMismatch", EngineErrorKind.InvalidArgument, Mismatch(data, $"not its test data, which the '{name}' score is about"), data.Name);
        return (name.ToLowerInvariant(), values);
    }

    private string Mismatch(Dataset data, string what)
    {
        var r = Result!;
        string test = r.TestFingerprint is null ? "" : FormattableString.Invariant($" and '{r.TestData}' ({r.TestCount:N0} test examples)");
        return FormattableString.Invariant($"'{data.Name}' ({data.Count:N0} samples) is {what}: the memorisation result was estimated on '{r.TrainingData}' ({r.TrainingCount:N0} training examples){test}, and scores apply only to the same examples in the same order (the data sets' fingerprints differ).");
    }
}
