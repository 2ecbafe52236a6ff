using CondensaPS.Engine.Quantization;

namespace CondensaPS.Engine.Tests.Quantization;

/// <summary>k-means on scalars against cases worked by hand.</summary>
public class KMeans1DTests
{
    [Fact]
    public void Two_separated_groups_converge_to_their_means()
    {
        // Linear start: centroids 1 and 12, midpoint 6.5 splits {1,2,3} from {10,11,12}; their means are 2 and 11.
        var r = KMeans1D.Run(new float[] { 10, 1, 12, 3, 11, 2 }, 2, ClusterInitialization.Linear);
        Assert.Equal(new float[] { 2, 11 }, r.Centroids);
        Assert.Equal(new byte[] { 1, 0, 1, 0, 1, 0 }, r.Assignments);
        Assert.Equal(4.0, r.Distortion, 12);
    }

    [Fact]
    public void Linear_and_density_starts_end_in_different_optima_and_linear_keeps_the_outlier()
    {
        var values = new float[] { 0, 2, 0, 5, 0 };
        // Linear: 0 and 5, midpoint 2.5: {0,0,0,2} and {5}: means 0.5 and 5, a fixed point; error 3 * 0.25 + 1.5^2.
        var linear = KMeans1D.Run(values, 2, ClusterInitialization.Linear);
        Assert.Equal(new[] { 0.5f, 5f }, linear.Centroids);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0 }, linear.Assignments);
        Assert.Equal(3.0, linear.Distortion, 6);
        // Density: quantiles 0.25 and 0.75 at positions 1 and 3 of the sorted values: 0 and 2, midpoint 1:
        // {0,0,0} and {2,5}: means 0 and 3.5, a fixed point; error 1.5^2 * 2.
        var density = KMeans1D.Run(values, 2, ClusterInitialization.Density);
        Assert.Equal(new[] { 0f, 3.5f }, density.Centroids);
        Assert.Equal(new byte[] { 0, 1, 0, 1, 0 }, density.Assignments);
        Assert.Equal(4.5, density.Distortion, 6);
    }

    [Fact]
    public void Density_start_interpolates_quantiles()
    {
        // Quantiles 0.25 and 0.75 of 1..4 at positions 0.75 and 2.25: 1.75 and 3.25; midpoint 2.5 gives {1,2} and {3,4}.
        var r = KMeans1D.Run(new float[] { 4, 3, 2, 1 }, 2, ClusterInitialization.Density);
        Assert.Equal(new[] { 1.5f, 3.5f }, r.Centroids);
        Assert.Equal(new byte[] { 1, 1, 0, 0 }, r.Assignments);
    }

    [Fact]
    public void A_value_on_a_midpoint_joins_the_smaller_centroid()
    {
        // Start 0 and 2: 1 is on the midpoint and joins 0; means 0.5 and 2; midpoint 1.25 keeps it there.
        var r = KMeans1D.Run(new float[] { 0, 1, 2 }, 2, ClusterInitialization.Linear);
        Assert.Equal(new[] { 0.5f, 2f }, r.Centroids);
        Assert.Equal(new byte[] { 0, 0, 1 }, r.Assignments);
    }

    [Fact]
    public void An_empty_cluster_keeps_its_centroid()
    {
        // Start 0, 5, 10: nothing lies between the midpoints 2.5 and 7.5, so 5 stays and no value takes it.
        var r = KMeans1D.Run(new float[] { 0, 0, 10, 10 }, 3, ClusterInitialization.Linear);
        Assert.Equal(new[] { 0f, 5f, 10f }, r.Centroids);
        Assert.Equal(new byte[] { 0, 0, 2, 2 }, r.Assignments);
        Assert.Equal(0.0, r.Distortion);
    }

    [Fact]
    public void Every_value_ends_at_its_nearest_centroid_and_each_centroid_is_its_members_mean()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * random.NextDouble() * (random.Next(2) * 2 - 1))).ToArray();
        foreach (var init in new[] { ClusterInitialization.Linear, ClusterInitialization.Density })
        {
            var r = KMeans1D.Run(values, 16, init);
            Assert.True(r.Iterations < KMeans1D.MaxIterations);
            Assert.Equal(r.Centroids.OrderBy(c => c), r.Centroids);
            for (int i = 0; i < values.Length; i++)
            {
                float own = Math.Abs(values[i] - r.Centroids[r.Assignments[i]]);
                Assert.All(r.Centroids, c => Assert.True(own <= Math.Abs(values[i] - c)));
            }
            for (int j = 0; j < 16; j++)
            {
                var members = values.Where((_, i) => r.Assignments[i] == j).ToArray();
                if (members.Length > 0) Assert.Equal(members.Average(v => (double)v), r.Centroids[j], 5);
            }
        }
    }

    [Fact]
    public void Fewer_values_than_clusters_is_refused()
    {
        Assert.Throws<ArgumentException>(() => KMeans1D.Run(new float[] { 1, 2, 3 }, 4, ClusterInitialization.Linear));
        Assert.Throws<ArgumentException>(() => KMeans1D.Run(new float[] { 1, float.NaN }, 2, ClusterInitialization.Linear));
    }

    [Fact]
    public void Nearest_centroid_works_on_unsorted_codebooks()
    {
        var nearest = new NearestCentroid(new[] { 3f, -1f, 1f });
        Assert.Equal(1, nearest.Of(-5f));
        Assert.Equal(1, nearest.Of(0f)); // midpoint of -1 and 1: the smaller
        Assert.Equal(2, nearest.Of(1.9f));
        Assert.Equal(2, nearest.Of(2f));
        Assert.Equal(0, nearest.Of(2.1f));
    }
}
