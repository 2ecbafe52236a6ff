using System.Globalization;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// How subset models train: a "retrain" step's settings (the vocabulary of Start-LabelPreservingRetrain and the YAML
/// strategies), the caller's on top of <see cref="Defaults"/>. Subset models have no reference, so the loss is
/// cross-entropy unless the caller names another loss (which is then refused: every other term needs a teacher); the
/// seed is the run's (seed + the model's number), never the recipe's.
/// </summary>
public static class MemorizationRecipe
{
    public const double DefaultSubsetRatio = 0.7;
    public const int DefaultTopInfluences = 5;

    /// <summary>Cross-entropy, 12 epochs of SGD (momentum 0.9) at 0.05 with cosine decay, batch 64: LeNet-5 fits its 4,900 digits.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Defaults { get; } = new KeyValuePair<string, object?>[]
    {
        new(RetrainOptions.Key.Loss, "cross-entropy"),
        new(RetrainOptions.Key.Epochs, 12L),
        new(RetrainOptions.Key.LearningRate, 0.05),
        new(RetrainOptions.Key.LearningRateSchedule, "cosine"),
    };

    /// <summary>The defaults with <paramref name="given"/> on top, checked as a retrain step (errors name the key).</summary>
    public static StepSettings Resolve(StepSettings given)
    {
        var settings = new StepSettings("retrain", Defaults);
        foreach (var (key, value) in given.Entries) settings.Set(key, value);
        settings.RequireKnownKeys(RetrainOptions.Keys);
        if (given.Has(RetrainOptions.Key.Seed))
            throw new StepSettingException("retrain", RetrainOptions.Key.Seed, "the subset models' seeds follow from the run's seed (Measure-Memorization -Seed): subset model k uses seed + k.", given[RetrainOptions.Key.Seed]);
        var options = RetrainOptions.From(settings);
        if (options.NeedsTeacher)
            throw new EngineException("RecipeNeedsReference", EngineErrorKind.InvalidArgument,
                $"Subset models train without a reference, so their loss can only be cross-entropy; the recipe's loss is {string.Join(", ", options.Terms)}.",
                string.Join(",", options.Terms));
        if (options.Method == RetrainMethod.Lc)
            throw new EngineException("RecipeNeedsReference", EngineErrorKind.InvalidArgument, "Subset models train from scratch; method lc recovers a compressed model and does not apply.", "lc");
        return settings;
    }

    /// <summary>The settings as an ordered dictionary (for the job files and the result).</summary>
    public static OrderedSettings ToDictionary(StepSettings settings)
    {
        var values = new OrderedSettings();
        foreach (var (key, value) in settings.Entries) values.Add(key.ToLowerInvariant(), value);
        return values;
    }

    public static string Describe(StepSettings settings) =>
        string.Join(", ", settings.Entries.Select(e => $"{e.Key} {(e.Value is IEnumerable<object?> list && e.Value is not string ? string.Join("/", list) : Convert.ToString(e.Value, CultureInfo.InvariantCulture))}"));
}
