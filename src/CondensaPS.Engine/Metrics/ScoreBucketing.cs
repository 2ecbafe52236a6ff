using System.Globalization;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// How samples are split by score: into <see cref="Count"/> buckets of about equal size (edges at the score's
/// quantiles; tied scores always share a bucket, so there may be fewer), or at fixed interior <see cref="Edges"/>
/// (buckets below the first edge, between edges, and from the last edge up).
/// </summary>
public sealed record ScoreBucketing
{
    public const int DefaultCount = 5;

    public int Count { get; init; } = DefaultCount;
    public IReadOnlyList<double>? Edges { get; init; }

    public static ScoreBucketing Quantiles(int count)
    {
        if (count < 1 || count > 1000)
            throw new EngineException("ScoreBucketsOutOfRange", EngineErrorKind.InvalidArgument, $"Score buckets: between 1 and 1000; got {count}.", count);
        return new ScoreBucketing { Count = count };
    }

    public static ScoreBucketing At(IReadOnlyList<double> edges)
    {
        if (edges.Count == 0 || edges.Any(e => !double.IsFinite(e)) || edges.Zip(edges.Skip(1)).Any(p => p.Second <= p.First))
            throw new EngineException("ScoreBucketEdgesInvalid", EngineErrorKind.InvalidArgument,
                $"Score bucket edges must be finite and strictly increasing; got {string.Join(", ", edges.Select(F))}.", edges);
        return new ScoreBucketing { Edges = edges.ToArray() };
    }

    public override string ToString() => Edges is null ? $"{Count} quantile bucket(s)" : $"edges {string.Join(", ", Edges.Select(F))}";

    /// <summary>Interior edges for <paramref name="scores"/> (finite values): the given ones, or distinct quantiles above the minimum.</summary>
    public double[] InteriorEdges(IReadOnlyList<double> scores)
    {
        if (Edges is not null) return Edges.ToArray();
        if (scores.Count == 0) return Array.Empty<double>();
        var sorted = scores.OrderBy(s => s).ToArray();
        var edges = new List<double>();
        for (int b = 1; b < Count; b++)
        {
            double edge = sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling((double)b * sorted.Length / Count))];
            if (edge > sorted[0] && (edges.Count == 0 || edge > edges[^1])) edges.Add(edge);
        }
        return edges.ToArray();
    }

    /// <summary>The 0-based bucket of <paramref name="score"/> for interior edges <paramref name="edges"/>: the number of edges at or below it.</summary>
    public static int BucketOf(double score, double[] edges)
    {
        int b = 0;
        while (b < edges.Length && score >= edges[b]) b++;
        return b;
    }

    internal static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
