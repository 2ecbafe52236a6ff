using System.Numerics;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// Feldman and Zhang's (2020) subsampled estimates from K models trained on random subsets of a training set:
/// per training example i its memorisation mem(i) = P[model right on i | i in its subset] - P[right on i | i not in
/// it], and per test example j the influence of training example i, infl(i, j) = P[right on j | i in] - P[right on j
/// | i not in], each probability the share of the models in that group, each with a standard error
/// (<see cref="ProportionDifference"/>). For each test example the <c>top</c> training examples by influence are kept
/// (all n x m pairs are counted exactly, with the models' inclusion and correctness packed 64 to a word).
/// A pure function of the outcomes: tested on hand-made cases.
/// </summary>
public static class MemorizationEstimator
{
    public static MemorizationEstimate Estimate(IReadOnlyList<SubsetOutcome> outcomes, IReadOnlyList<long> trainingLabels, IReadOnlyList<long>? testLabels,
        int top, CancellationToken cancellation = default)
    {
        int k = outcomes.Count;
        if (k < 2)
            throw new EngineException("TooFewSubsetModels", EngineErrorKind.InvalidOperation,
                $"A memorisation estimate needs at least 2 trained subset models (some trained on each example, some not); {k} finished.", k);
        if (top < 1) throw new ArgumentOutOfRangeException(nameof(top), top, "at least one influence per test example");
        int n = trainingLabels.Count, m = testLabels?.Count ?? 0;
        foreach (var o in outcomes)
        {
            if (o.Included.Length != n || o.TrainingCorrect.Length != n)
                throw new ArgumentException($"Subset model {o.Model} has {o.Included.Length} inclusion and {o.TrainingCorrect.Length} correctness entries for {n} training examples.");
            if (o.TestCorrect.Length != m)
                throw new ArgumentException($"Subset model {o.Model} has {o.TestCorrect.Length} test correctness entries for {m} test examples.");
        }

        var training = new MemorizationScore[n];
        for (int i = 0; i < n; i++)
        {
            int modelsIn = 0, rightIn = 0, rightOut = 0;
            foreach (var o in outcomes)
            {
                if (o.Included[i]) { modelsIn++; if (o.TrainingCorrect[i]) rightIn++; }
                else if (o.TrainingCorrect[i]) rightOut++;
            }
            int modelsOut = k - modelsIn;
            var d = ProportionDifference.Of(rightIn, modelsIn, rightOut, modelsOut);
            training[i] = new MemorizationScore
            {
                Index = i,
                Label = trainingLabels[i],
                Memorization = d.Estimate,
                StandardError = d.StandardError,
                ModelsIn = modelsIn,
                ModelsOut = modelsOut,
                AccuracyIn = modelsIn == 0 ? double.NaN : (double)rightIn / modelsIn,
                AccuracyOut = modelsOut == 0 ? double.NaN : (double)rightOut / modelsOut,
            };
        }
        var test = m == 0 ? Array.Empty<TestExampleScore>() : Influences(outcomes, training, testLabels!, top, cancellation);
        return new MemorizationEstimate(training, test, k, SplitHalf(outcomes, n));
    }

    /// <summary>
    /// The correlation, over the training examples, of the memorisation estimated from the even-numbered models with
    /// that from the odd-numbered ones (examples defined in both halves): how far the estimate is above its noise.
    /// </summary>
    private static double SplitHalf(IReadOnlyList<SubsetOutcome> outcomes, int n)
    {
        var halves = new[] { outcomes.Where((_, i) => i % 2 == 0).ToList(), outcomes.Where((_, i) => i % 2 == 1).ToList() };
        var a = new List<double>();
        var b = new List<double>();
        for (int i = 0; i < n; i++)
        {
            var d = halves.Select(h =>
            {
                int modelsIn = 0, rightIn = 0, rightOut = 0;
                foreach (var o in h)
                {
                    if (o.Included[i]) { modelsIn++; if (o.TrainingCorrect[i]) rightIn++; }
                    else if (o.TrainingCorrect[i]) rightOut++;
                }
                return ProportionDifference.Of(rightIn, modelsIn, rightOut, h.Count - modelsIn);
            }).ToArray();
            if (d[0].IsDefined && d[1].IsDefined) { a.Add(d[0].Estimate); b.Add(d[1].Estimate); }
        }
        return Metrics.Correlation.Pearson(a, b);
    }

    private static TestExampleScore[] Influences(IReadOnlyList<SubsetOutcome> outcomes, MemorizationScore[] training, IReadOnlyList<long> testLabels,
        int top, CancellationToken cancellation)
    {
        int k = outcomes.Count, n = training.Length, m = testLabels.Count;
        int words = (k + 63) / 64;
        // included[i * words + w]: bit b of word w is model 64 w + b trained on training example i; right likewise per test example.
        var included = new ulong[(long)n * words];
        var right = new ulong[(long)m * words];
        for (int model = 0; model < k; model++)
        {
            int w = model / 64;
            ulong bit = 1UL << (model % 64);
            var o = outcomes[model];
            for (int i = 0; i < n; i++) if (o.Included[i]) included[(long)i * words + w] |= bit;
            for (int j = 0; j < m; j++) if (o.TestCorrect[j]) right[(long)j * words + w] |= bit;
        }
        var candidates = Enumerable.Range(0, n).Where(i => training[i].ModelsIn > 0 && training[i].ModelsOut > 0).ToArray();
        var result = new TestExampleScore[m];
        var options = new ParallelOptions { CancellationToken = cancellation, MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) };
        Parallel.For(0, m, options, j =>
        {
            int rightTotal = 0;
            for (int w = 0; w < words; w++) rightTotal += BitOperations.PopCount(right[(long)j * words + w]);
            var best = new TopList(top);
            foreach (int i in candidates)
            {
                int rightIn = 0;
                for (int w = 0; w < words; w++) rightIn += BitOperations.PopCount(included[(long)i * words + w] & right[(long)j * words + w]);
                int modelsIn = training[i].ModelsIn, modelsOut = training[i].ModelsOut;
                double value = (double)rightIn / modelsIn - (double)(rightTotal - rightIn) / modelsOut;
                best.Offer(i, value, rightIn);
            }
            var kept = best.Sorted().Select(c => new Influence
            {
                TrainingIndex = c.Index,
                TrainingLabel = training[c.Index].Label,
                Value = c.Value,
                StandardError = ProportionDifference.StandardErrorOf(c.RightIn, training[c.Index].ModelsIn, rightTotal - c.RightIn, training[c.Index].ModelsOut),
            }).ToArray();
            result[j] = new TestExampleScore
            {
                Index = j,
                Label = testLabels[j],
                Accuracy = (double)rightTotal / k,
                Models = k,
                Influence = kept.Length == 0 ? double.NaN : kept[0].Value,
                InfluenceStandardError = kept.Length == 0 ? double.NaN : kept[0].StandardError,
                InfluentialExample = kept.Length == 0 ? -1 : kept[0].TrainingIndex,
                TopInfluences = kept,
            };
        });
        return result;
    }

    /// <summary>The largest values offered, ties to the lower training index (offers come in index order).</summary>
    private sealed class TopList
    {
        private readonly int _capacity;
        private readonly List<(int Index, double Value, int RightIn)> _items;

        public TopList(int capacity) { _capacity = capacity; _items = new List<(int, double, int)>(capacity + 1); }

        public void Offer(int index, double value, int rightIn)
        {
            if (_items.Count == _capacity && value <= _items[^1].Value) return;
            int at = _items.Count;
            while (at > 0 && _items[at - 1].Value < value) at--;
            _items.Insert(at, (index, value, rightIn));
            if (_items.Count > _capacity) _items.RemoveAt(_items.Count - 1);
        }

        public IReadOnlyList<(int Index, double Value, int RightIn)> Sorted() => _items;
    }
}

/// <summary>
/// The estimate: one score per training example and one per test example (none without test data), from
/// <see cref="Models"/> subset models, and the split-half correlation of the memorisation scores (even-numbered
/// models against odd-numbered ones; NaN when too few examples are defined in both halves).
/// </summary>
public sealed record MemorizationEstimate(IReadOnlyList<MemorizationScore> Training, IReadOnlyList<TestExampleScore> Test, int Models, double SplitHalfCorrelation);
