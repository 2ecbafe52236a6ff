using CondensaPS.Engine.Training.Losses;

namespace CondensaPS.Engine.Tests.Training;

public class SoftAdaptTests
{
    [Fact]
    public void Plain_weights_are_a_softmax_of_beta_times_the_rates()
    {
        var then = new[] { 1.0, 2.0 };
        var now = new[] { 0.6, 1.9 };
        double beta = 3, window = 2;
        double s0 = (0.6 - 1.0) / window, s1 = (1.9 - 2.0) / window;
        double e0 = Math.Exp(beta * s0), e1 = Math.Exp(beta * s1);
        var w = SoftAdapt.Weights(SoftAdaptVariant.Plain, beta, then, now, 2);
        Assert.Equal(e0 / (e0 + e1), w[0], 12);
        Assert.Equal(e1 / (e0 + e1), w[1], 12);
    }

    [Fact]
    public void Loss_weighted_multiplies_by_the_current_values_and_renormalises()
    {
        var then = new[] { 1.0, 2.0, 0.5 };
        var now = new[] { 0.6, 1.9, 0.7 };
        double beta = 0.5;
        var raw = now.Select((v, k) => v * Math.Exp(beta * (v - then[k]) / 4)).ToArray();
        var w = SoftAdapt.Weights(SoftAdaptVariant.LossWeighted, beta, then, now, 4);
        for (int k = 0; k < 3; k++) Assert.Equal(raw[k] / raw.Sum(), w[k], 12);
        Assert.Equal(1.0, w.Sum(), 12);
    }

    [Fact]
    public void Online_weights_stay_initial_until_the_window_fills_then_follow_the_formula()
    {
        var adapt = new SoftAdapt(SoftAdaptVariant.Plain, 1.0, 2, new[] { 0.3, 0.7 });
        Assert.Equal(new[] { 0.3, 0.7 }, adapt.Update(new[] { 1.0, 1.0 }));
        Assert.Equal(new[] { 0.3, 0.7 }, adapt.Update(new[] { 0.8, 1.0 }));
        var w = adapt.Update(new[] { 0.5, 1.2 });
        Assert.Equal(SoftAdapt.Weights(SoftAdaptVariant.Plain, 1.0, new[] { 1.0, 1.0 }, new[] { 0.5, 1.2 }, 2), w);
        var fixedWeights = new SoftAdapt(SoftAdaptVariant.None, 1.0, 1, new[] { 0.3, 0.7 });
        fixedWeights.Update(new[] { 9.0, 1.0 });
        Assert.Equal(new[] { 0.3, 0.7 }, fixedWeights.Update(new[] { 1.0, 9.0 }));
    }
}
