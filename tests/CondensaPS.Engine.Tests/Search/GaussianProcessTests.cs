using CondensaPS.Engine.Search.Bayes;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>
/// The GP and acquisition functions against scikit-learn 1.2 and SciPy (Debian's python3-sklearn): the expected values
/// below are what tests/fixtures/search/gp_reference.py prints for the same data and hyperparameters.
/// </summary>
public class GaussianProcessTests
{
    private static readonly double[][] X = { new[] { 0.0 }, new[] { 0.15 }, new[] { 0.4 }, new[] { 0.55 }, new[] { 0.8 }, new[] { 1.0 } };
    private static readonly double[] Y = { 0.2, 0.1, 0.5, 1.4, 3.9, 7.5 };
    private static readonly double[] Queries = { 0.05, 0.3, 0.62, 0.9, 1.1 };

    [Fact]
    public void Matern52_posterior_matches_scikit_learn()
    {
        var gp = GaussianProcess.WithParameters(X, Y, KernelKind.Matern52, new KernelParameters(1.3, 0.35, 0.01));
        Assert.Equal(-5.958265677034591, gp.LogMarginalLikelihood, 1e-9);
        double[] means = { 0.14183288356134982, 0.21720821245257005, 1.8596460973130342, 5.843967785355526, 7.901652618399436 };
        double[] variances = { 0.07978328848645079, 0.2127689667259682, 0.16967199168080682, 0.16801206392324408, 0.8168263632835471 };
        for (int i = 0; i < Queries.Length; i++)
        {
            var p = gp.Predict(Queries[i]);
            Assert.Equal(means[i], p.Mean, 1e-9);
            Assert.Equal(variances[i], p.Variance, 1e-9);
        }
    }

    [Fact]
    public void Squared_exponential_posterior_matches_scikit_learn()
    {
        var gp = GaussianProcess.WithParameters(X, Y, KernelKind.SquaredExponential, new KernelParameters(0.8, 0.25, 0.001));
        Assert.Equal(-6.137992986089571, gp.LogMarginalLikelihood, 1e-9);
        double[] means = { 0.16825546225810273, 0.15496912650419148, 1.8586888185946624, 5.763816526822312, 8.257625522469791 };
        double[] variances = { 0.009564577113643639, 0.018197393854554336, 0.01608492232196061, 0.02640105648698842, 0.3009399937325625 };
        for (int i = 0; i < Queries.Length; i++)
        {
            var p = gp.Predict(Queries[i]);
            Assert.Equal(means[i], p.Mean, 1e-8);
            Assert.Equal(variances[i], p.Variance, 1e-8);
        }
    }

    [Fact]
    public void Fitted_hyperparameters_reach_the_likelihood_scikit_learn_finds()
    {
        // scikit-learn (L-BFGS-B, 20 restarts, the same bounds) reaches lml -4.284227 at σ² 3.81², ℓ 1.33, noise 0.000591.
        var gp = GaussianProcess.Fit(X, Y);
        Assert.True(gp.LogMarginalLikelihood >= -4.284227 - 1e-3, $"lml {gp.LogMarginalLikelihood} with {gp.Parameters}");
        Assert.InRange(gp.Parameters.LengthScale, 1.2, 1.5);
        Assert.InRange(gp.Parameters.SignalVariance, 12, 17);
    }

    [Fact]
    public void Fit_is_deterministic_and_interpolates_noise_free_data()
    {
        var a = GaussianProcess.Fit(X, Y);
        var b = GaussianProcess.Fit(X, Y);
        Assert.Equal(a.Parameters, b.Parameters);
        for (int i = 0; i < X.Length; i++) Assert.Equal(Y[i], a.Predict(X[i]).Mean, 0.05);
    }

    [Fact]
    public void Constant_targets_and_a_single_observation_do_not_break_the_fit()
    {
        var flat = GaussianProcess.Fit(new[] { new[] { 0.1 }, new[] { 0.9 } }, new[] { 2.0, 2.0 });
        Assert.Equal(2.0, flat.Predict(0.5).Mean, 1e-9);
        var one = GaussianProcess.Fit(new[] { new[] { 0.3 } }, new[] { 5.0 });
        Assert.Equal(5.0, one.Predict(0.3).Mean, 1e-6);
        Assert.True(one.Predict(0.95).Variance > one.Predict(0.3).Variance);
    }

    [Theory]
    [InlineData(1.0, 0.5, 0.8, 0.0, 0.3152194184737265)]
    [InlineData(0.2, 2.0, 1.5, 0.1, 0.2857587536212203)]
    [InlineData(3.0, 0.1, 2.0, 0.0, 1.0)]
    public void Expected_improvement_matches_scipy(double mu, double sigma, double best, double xi, double expected) =>
        Assert.Equal(expected, Acquisition.ExpectedImprovement(new GpPrediction(mu, sigma * sigma), best, xi), 1e-12);

    [Theory]
    [InlineData(1.0, 0.5, 1.2, 0.6554217416103241)]
    [InlineData(2.0, 0.25, 1.5, 0.022750131948179195)]
    public void Probability_at_most_matches_scipy(double mu, double sigma, double threshold, double expected) =>
        Assert.Equal(expected, Acquisition.ProbabilityAtMost(new GpPrediction(mu, sigma * sigma), threshold), 1e-12);

    [Fact]
    public void Straddle_and_ucb_by_hand()
    {
        // 1.96 x 0.5 - |1.0 - 1.2| = 0.78; 2.0 + 2 x 0.25 = 2.5.
        Assert.Equal(0.78, Acquisition.Straddle(new GpPrediction(1.0, 0.25), 1.2), 1e-12);
        Assert.Equal(2.5, Acquisition.UpperConfidenceBound(new GpPrediction(2.0, 0.0625)), 1e-12);
        Assert.Equal(0.0, Acquisition.ExpectedImprovement(new GpPrediction(1.0, 0), 2.0));
    }
}
