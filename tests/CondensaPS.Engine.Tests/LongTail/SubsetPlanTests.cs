using CondensaPS.Engine.LongTail;

namespace CondensaPS.Engine.Tests.LongTail;

public class SubsetPlanTests
{
    [Fact]
    public void Each_subset_has_exactly_the_ratio_of_examples_and_depends_only_on_seed_and_number()
    {
        var a = SubsetPlan.Draw(1000, 0.7, seed: 3, number: 5);
        Assert.Equal(700, a.Count(x => x));
        Assert.Equal(a, SubsetPlan.Draw(1000, 0.7, seed: 3, number: 5));
        Assert.NotEqual(a, SubsetPlan.Draw(1000, 0.7, seed: 3, number: 6));
        Assert.NotEqual(a, SubsetPlan.Draw(1000, 0.7, seed: 4, number: 5));
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => a[i]), SubsetPlan.Members(a));
    }

    [Fact]
    public void Over_many_subsets_every_example_is_in_about_the_ratio_of_them()
    {
        var counts = new int[200];
        for (int k = 0; k < 500; k++)
        {
            var mask = SubsetPlan.Draw(200, 0.7, seed: 1, number: k);
            for (int i = 0; i < 200; i++) if (mask[i]) counts[i]++;
        }
        // Binomial(500, 0.7) (dependent across examples, exactly 140 per subset): mean 350, sd about 10.
        Assert.Equal(350.0, counts.Average(), 9);
        Assert.All(counts, c => Assert.InRange(c, 300, 400));
    }

    [Theory]
    [InlineData(1, 0.7, "TooFewSubsets")]
    [InlineData(0, 0.7, "TooFewSubsets")]
    [InlineData(-3, 0.7, "TooFewSubsets")]
    [InlineData(10, 0.0, "SubsetRatioOutOfRange")]
    [InlineData(10, 1.0, "SubsetRatioOutOfRange")]
    [InlineData(10, -0.5, "SubsetRatioOutOfRange")]
    [InlineData(10, 1.5, "SubsetRatioOutOfRange")]
    [InlineData(10, double.NaN, "SubsetRatioOutOfRange")]
    [InlineData(10, 0.01, "SubsetTooSmall")]
    [InlineData(10, 0.999, "SubsetTooSmall")]
    public void Bad_K_or_ratio_is_an_error_with_its_id(int k, double ratio, string errorId)
    {
        var e = Assert.Throws<EngineException>(() => SubsetPlan.Validate(20, k, ratio));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Two_subsets_at_0_7_are_fine()
    {
        SubsetPlan.Validate(20, 2, 0.7);
        Assert.Equal(14, SubsetPlan.SizeOf(20, 0.7));
    }

    [Fact]
    public void Bits_round_trip()
    {
        var values = Enumerable.Range(0, 29).Select(i => i % 3 == 0 || i == 28).ToArray();
        Assert.Equal(values, Bits.Decode(Bits.Encode(values), 29));
        Assert.Throws<FormatException>(() => Bits.Decode(Bits.Encode(values), 40));
    }
}
