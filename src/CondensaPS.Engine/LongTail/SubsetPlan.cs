using System.Globalization;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// The random subsets of a memorisation estimate: K subsets of the n training examples, each of exactly
/// round(ratio x n) examples drawn uniformly without replacement (Feldman and Zhang's fixed-size subsampling). Subset k
/// depends only on (n, ratio, seed, k), so a resumed run draws the same subsets and a model's result can be checked
/// against the subset it claims to have trained on.
/// </summary>
public static class SubsetPlan
{
    /// <summary>Bad K or ratio: TooFewSubsets, SubsetRatioOutOfRange, SubsetTooSmall (ErrorIds), before anything runs.</summary>
    public static void Validate(int trainingCount, int subsets, double ratio)
    {
        if (subsets < 2)
            throw new EngineException("TooFewSubsets", EngineErrorKind.InvalidArgument,
                $"A memorisation estimate compares models that trained on an example with models that did not, so it needs at least 2 subset models; got {subsets}.", subsets);
        if (!(ratio > 0 && ratio < 1))
            throw new EngineException("SubsetRatioOutOfRange", EngineErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"The subset ratio is the share of the training examples each model trains on, strictly between 0 and 1 (Feldman and Zhang use 0.7); got {ratio}."), ratio);
        int size = SizeOf(trainingCount, ratio);
        if (size < 1 || size >= trainingCount)
            throw new EngineException("SubsetTooSmall", EngineErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"A subset ratio of {ratio} of {trainingCount} training example(s) gives subsets of {size}; each subset needs at least one example and must leave at least one out."), ratio);
    }

    public static int SizeOf(int trainingCount, double ratio) => (int)Math.Round(ratio * trainingCount, MidpointRounding.AwayFromZero);

    /// <summary>Subset <paramref name="number"/> (0-based) as a membership mask over the training examples.</summary>
    public static bool[] Draw(int trainingCount, double ratio, int seed, int number)
    {
        int size = SizeOf(trainingCount, ratio);
        var order = Enumerable.Range(0, trainingCount).ToArray();
        var rng = new Random(unchecked(seed * 1_000_003 + number * 7_919 + 104_729));
        for (int i = 0; i < size; i++)
        {
            int j = i + rng.Next(trainingCount - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        var mask = new bool[trainingCount];
        for (int i = 0; i < size; i++) mask[order[i]] = true;
        return mask;
    }

    /// <summary>The indices of a mask's members, in data-set order.</summary>
    public static int[] Members(bool[] mask) => Enumerable.Range(0, mask.Length).Where(i => mask[i]).ToArray();
}
