using System.Globalization;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Long-tail-aware retraining: each training sample weighs 1 + long-tail-weight x max(0, its score) in every loss term
/// (a weighted mean over the batch, <see cref="Losses.RetrainLoss"/>), the score being its memorisation score from a
/// Measure-Memorization file (matched to the training data by fingerprint) or any per-sample score given as a list.
/// Samples without a score weigh 1. With a positive weight the high-memorisation samples, the ones a compressed model
/// loses first, count more; with a negative one (down to -1, exclusive) they count less, leaving a small model's few
/// weights to the typical samples.
/// </summary>
public static class LongTailWeights
{
    public static float[] For(RetrainOptions options, Dataset train, OperationContext context)
    {
        var source = options.ExampleScoresFile is { } file
            ? ExampleScores.FromFile(Directory.Exists(file) ? Path.Combine(file, MemorizationFile.FileName) : file)
            : ExampleScores.FromValues(options.ExampleScoreValues!);
        var (name, scores) = source.For(train, options.ExampleScoreName);
        var weights = Of(scores, options.LongTailWeight);
        int weighted = weights.Count(w => w != 1);
        string how = options.LongTailWeight < 0 ? "less" : "more";
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"Long-tail weighting by {name}: {weighted:N0} of {weights.Length:N0} samples weigh {how} than 1 (weight 1 + {options.LongTailWeight:0.###} x score; mean {weights.Average(w => (double)w):0.###}, smallest {weights.Min():0.###}, largest {weights.Max():0.###})."));
        return weights;
    }

    /// <summary>1 + weight x max(0, score) per sample; 1 where the score is missing (NaN).</summary>
    public static float[] Of(IReadOnlyList<double> scores, double weight) =>
        scores.Select(s => double.IsFinite(s) ? (float)(1 + weight * Math.Max(0, s)) : 1f).ToArray();
}
