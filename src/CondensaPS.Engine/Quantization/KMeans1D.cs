namespace CondensaPS.Engine.Quantization;

/// <summary>Where k-means starts (Han et al., Deep Compression, section 3.1, compare these; linear did best).</summary>
public enum ClusterInitialization
{
    /// <summary>Centroids evenly spaced between the smallest and the largest value: the few large weights keep centroids of their own.</summary>
    Linear,
    /// <summary>Centroids evenly spaced on the values' cumulative distribution (quantiles (i + 0.5) / k): dense near zero, sparse in the tails.</summary>
    Density,
}

/// <summary>The outcome of one-dimensional k-means: ascending centroids, the index of each value's centroid, and the squared error.</summary>
public sealed record KMeansResult(float[] Centroids, byte[] Assignments, int Iterations, double Distortion);

/// <summary>
/// Lloyd's k-means on scalars, exact and deterministic: the values are sorted once, so with ascending centroids each
/// cluster is a contiguous run of the sorted values between two midpoints, and an iteration costs k binary searches
/// and k means from prefix sums (in double). A value exactly on a midpoint joins the smaller centroid. A cluster that
/// loses all its values keeps its centroid. Iterations stop when no value changes cluster. The final centroids are
/// rounded to float32 and every value takes the nearest of those (ties: the smaller).
/// </summary>
public static class KMeans1D
{
    public const int MaxIterations = 1000;

    public static KMeansResult Run(ReadOnlySpan<float> values, int k, ClusterInitialization initialization)
    {
        if (k < 1 || k > 256) throw new ArgumentOutOfRangeException(nameof(k), k, "k-means here makes 1 to 256 clusters.");
        if (values.Length < k) throw new ArgumentException($"{values.Length} values cannot fill {k} clusters.", nameof(values));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        if (!float.IsFinite(sorted[0]) || !float.IsFinite(sorted[^1]))
            throw new ArgumentException("k-means needs finite values.", nameof(values));
        var prefix = new double[sorted.Length + 1];
        for (int i = 0; i < sorted.Length; i++) prefix[i + 1] = prefix[i] + sorted[i];

        var centroids = Initial(sorted, k, initialization);
        var ends = new int[k];
        var previous = new int[k];
        int iterations = 0;
        while (iterations < MaxIterations)
        {
            iterations++;
            for (int j = 0; j < k - 1; j++) ends[j] = UpperBound(sorted, (centroids[j] + centroids[j + 1]) / 2);
            ends[k - 1] = sorted.Length;
            for (int j = 0, start = 0; j < k; start = ends[j], j++)
                if (ends[j] > start) centroids[j] = (prefix[ends[j]] - prefix[start]) / (ends[j] - start);
            if (iterations > 1 && ends.AsSpan().SequenceEqual(previous)) break;
            ends.CopyTo(previous, 0);
        }

        var codebook = centroids.Select(c => (float)c).ToArray();
        var assignments = new byte[values.Length];
        var nearest = new NearestCentroid(codebook);
        double distortion = 0;
        for (int i = 0; i < values.Length; i++)
        {
            int a = nearest.Of(values[i]);
            assignments[i] = (byte)a;
            double d = values[i] - (double)codebook[a];
            distortion += d * d;
        }
        return new KMeansResult(codebook, assignments, iterations, distortion);
    }

    private static double[] Initial(float[] sorted, int k, ClusterInitialization initialization)
    {
        var c = new double[k];
        double min = sorted[0], max = sorted[^1];
        for (int i = 0; i < k; i++)
        {
            if (initialization == ClusterInitialization.Linear)
                c[i] = k == 1 ? min : min + (max - min) * i / (k - 1);
            else
            {
                double at = (i + 0.5) / k * (sorted.Length - 1);
                int lo = (int)Math.Floor(at);
                int hi = Math.Min(lo + 1, sorted.Length - 1);
                c[i] = sorted[lo] + (sorted[hi] - (double)sorted[lo]) * (at - lo);
            }
        }
        return c;
    }

    /// <summary>The index of the first value greater than <paramref name="bound"/>.</summary>
    private static int UpperBound(float[] sorted, double bound)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= bound) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}

/// <summary>The nearest value of a codebook (any order; ties go to the smaller value, then the lower index), by binary search over midpoints.</summary>
public sealed class NearestCentroid
{
    private readonly int[] _order;
    private readonly double[] _midpoints;

    public NearestCentroid(IReadOnlyList<float> codebook)
    {
        _order = Enumerable.Range(0, codebook.Count).OrderBy(i => codebook[i]).ThenBy(i => i).ToArray();
        _midpoints = new double[Math.Max(0, codebook.Count - 1)];
        for (int j = 0; j < _midpoints.Length; j++) _midpoints[j] = ((double)codebook[_order[j]] + codebook[_order[j + 1]]) / 2;
    }

    public int Of(float value)
    {
        int lo = 0, hi = _midpoints.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (value <= _midpoints[mid]) hi = mid; else lo = mid + 1;
        }
        return _order[lo];
    }
}
