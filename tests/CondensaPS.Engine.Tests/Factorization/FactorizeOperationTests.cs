using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;
using CondensaPS.Tests.Shared;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Factorization;

/// <summary>The factorize step: low-rank replacements of built-in layers.</summary>
public class FactorizeOperationTests
{
    private static CompressionModel Caffe(long seed = 1) => ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5-caffe", Seed = seed });

    private static double MaxDiff(CompressionModel a, CompressionModel b, Tensor x)
    {
        using var _ = no_grad();
        return (a.Forward(x) - b.Forward(x)).abs().max().item<float>();
    }

    [Fact]
    public void Full_rank_factors_reproduce_the_model_and_name_their_parts_as_PyTorch()
    {
        using var model = Caffe();
        // Full ranks: conv1 [20, 1x5x5] has rank 20 at most, fc2 [10, 500] 10; Tucker-2 of conv2 at energy 1 keeps both modes whole.
        using var svdConv = Run("factorize", model, ("rank", 20L), ("method", "svd"), ("include", new[] { "conv1.weight" }));
        using var svd = Run("factorize", svdConv, ("rank", 10L), ("include", new[] { "fc2.weight" }));
        using var tucker = Run("factorize", model, ("energy", 1.0), ("include", new[] { "conv2.weight" }));
        using var x = randn(4, 1, 28, 28, generator: new TorchSharp.torch.Generator(2));
        Assert.True(MaxDiff(model, svd, x) < 1e-4, $"svd differs by {MaxDiff(model, svd, x)}");
        Assert.True(MaxDiff(model, tucker, x) < 1e-4, $"tucker-2 differs by {MaxDiff(model, tucker, x)}");
        Assert.Equal(new[] { "conv1.0.weight", "conv1.1.weight", "conv1.1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.0.weight", "fc2.1.weight", "fc2.1.bias" },
            svd.NamedParameters().Select(p => p.Name));
        Assert.Equal(new long[] { 20, 20, 1, 1 }, tucker.Parameter("conv2.0.weight").shape);
        Assert.Equal(new long[] { 50, 20, 5, 5 }, tucker.Parameter("conv2.1.weight").shape);
        Assert.Equal(new long[] { 50, 50, 1, 1 }, tucker.Parameter("conv2.2.weight").shape);
        Assert.Equal("conv2=tucker2:20x50", tucker.Spec!.Factorizations.Single().ToString());
        Assert.Equal(new[] { "conv1=svd:20", "fc2=svd:10" }, svd.Spec!.Factorizations.Select(f => f.ToString()));
        Assert.Same(model, svd.Reference);
    }

    [Fact]
    public void A_truncated_svd_is_the_best_rank_r_approximation()
    {
        using var model = Caffe(2);
        using var low = Run("factorize", model, ("rank", 16L), ("include", new[] { "fc1.weight" }));
        using var _ = no_grad();
        var w = model.Parameter("fc1.weight").to(ScalarType.Float64);
        var product = low.Parameter("fc1.1.weight").to(ScalarType.Float64).matmul(low.Parameter("fc1.0.weight").to(ScalarType.Float64));
        var s = linalg.svdvals(w);
        double tail = s.narrow(0, 16, s.shape[0] - 16).pow(2).sum().sqrt().item<double>();
        double error = (w - product).pow(2).sum().sqrt().item<double>();
        Assert.Equal(tail, error, 3);
        var layer = (IReadOnlyDictionary<string, object?>)((List<object?>)low.History[^1].Results["layers"]!).Single()!;
        Assert.Equal(16L * (800 + 500), layer["weights-after"]);
        double energy = (double)layer["energy"]!;
        Assert.Equal(s.narrow(0, 0, 16).pow(2).sum().item<double>() / s.pow(2).sum().item<double>(), energy, 4);
        Assert.Equal(model.Parameters - 400_000 + 16 * 1300, low.Parameters);
    }

    [Fact]
    public void Energy_picks_the_smallest_rank_that_keeps_it()
    {
        using var model = Caffe(3);
        using var low = Run("factorize", model, ("energy", 0.9), ("include", new[] { "fc1.weight", "conv2.weight" }));
        using var _ = no_grad();
        var s = linalg.svdvals(model.Parameter("fc1.weight").to(ScalarType.Float64)).pow(2);
        var share = s.cumsum(0) / s.sum();
        int rank = low.Spec!.FactorizationOf("fc1")!.Rank;
        Assert.True(share[rank - 1].item<double>() >= 0.9 - 1e-9);
        Assert.True(share[rank - 2].item<double>() < 0.9);
        var conv = low.Spec.FactorizationOf("conv2")!;
        Assert.Equal(FactorizationKind.Tucker2, conv.Kind);
        Assert.InRange(conv.Rank, 1, 20);
        Assert.InRange(conv.OutputRank, 1, 50);
    }

    [Fact]
    public void Bad_ranks_and_models_are_errors_naming_the_value()
    {
        using var model = Caffe();
        var e = Assert.Throws<StepSettingException>(() => Run("factorize", model, ("rank", 600L), ("include", new[] { "fc1.weight" })));
        Assert.Equal("rank", e.Key);
        Assert.Contains("600", e.Message);
        Assert.Contains("500", e.Message);
        Assert.Equal("rank", Assert.Throws<StepSettingException>(() => Run("factorize", model, ("rank", 21L), ("include", new[] { "conv2.weight" }))).Key);
        Assert.Equal("rank", Assert.Throws<StepSettingException>(() => Run("factorize", model)).Key);
        Assert.Equal("energy", Assert.Throws<StepSettingException>(() => Run("factorize", model, ("energy", 1.5))).Key);
        Assert.Equal("energy", Assert.Throws<StepSettingException>(() => Run("factorize", model, ("energy", 0.5), ("rank", 3L))).Key);
        using var ts = TinyTorchScript();
        Assert.Equal("FactorizeNeedsBuiltIn", Assert.Throws<EngineException>(() => Run("factorize", ts, ("rank", 2L))).ErrorId);
        using var low = Run("factorize", model, ("rank", 4L), ("include", new[] { "fc*" }));
        Assert.Equal("NothingToFactorize", Assert.Throws<EngineException>(() => Run("factorize", low, ("rank", 2L), ("include", new[] { "fc*" }))).ErrorId);
    }

    [Fact]
    public void Factorized_models_round_trip_replay_retrain_and_compress()
    {
        using var model = Caffe(4);
        using var pruned = Run("prune", model, ("ratio", 0.5), ("include", new[] { "conv*" }));
        using var low = Run("factorize", pruned, ("rank", 8L), ("include", new[] { "fc1.weight", "conv2.weight" }));
        Assert.True(low.Masks.ContainsKey("conv1.weight"));
        Assert.False(low.Masks.ContainsKey("conv2.weight"));
        var folder = TestPaths.NewTempFolder();
        var path = Path.Combine(folder, "low.cpz");
        ModelExporter.Export(low, path, ModelFileFormat.Compact, overwrite: false);
        using (var back = ModelLoader.Load(path, new ModelLoadOptions()))
        {
            Assert.Equal(low.Spec, back.Spec);
            Assert.Empty(ModelComparison.Differences(low, back));
        }
        var yaml = Path.Combine(folder, "low.yaml");
        StrategyWriter.Export(low, yaml);
        using (var replayed = StrategyRunner.Run(StrategyPlan.Load(yaml), model))
            Assert.Empty(ModelComparison.Differences(low, replayed));
        using var tuned = OperationRunner.Run("retrain", low, new StepSettings("retrain").Set("epochs", 1L).Set("seed", 1L),
            new OperationInputs { TrainingData = RetrainTestData.Train(64) });
        using var clustered = Run("quantize", tuned, ("type", "cluster"), ("bits", 3L));
        Assert.Equal("cluster3", clustered.DType);
        Assert.Contains(clustered.Quantization.Keys, k => k == "fc1.0.weight");
    }

    [Fact]
    public void MACs_count_every_convolution_and_linear_layer()
    {
        using var model = Caffe();
        // conv1 24x24x20 outputs x 25, conv2 8x8x50 x 500, fc1 500 x 800, fc2 10 x 500.
        Assert.Equal(288_000 + 1_600_000 + 400_000 + 5_000, model.Structure(new long[] { 1, 28, 28 }).Macs);
        using var low = Run("factorize", model, ("rank", 10L), ("include", new[] { "conv2.weight", "fc1.weight" }));
        // conv2 as Tucker-2: 12x12x10 x 20, 8x8x10 x 250, 8x8x50 x 10; fc1: 10 x 800 + 500 x 10.
        Assert.Equal(288_000 + 28_800 + 160_000 + 32_000 + 8_000 + 5_000 + 5_000, low.Structure(new long[] { 1, 28, 28 }).Macs);
    }

    [PyTorchFact]
    public void PyTorch_runs_a_factorized_model_from_its_weights()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = Caffe(5);
        using var low = Run("factorize", model, ("rank", 6L), ("include", new[] { "conv2.weight", "fc1.weight" }));
        using var both = Run("factorize", low, ("rank", 4L), ("method", "svd"), ("include", new[] { "conv1.weight" }));
        var weights = Path.Combine(dir, "w.safetensors");
        ModelExporter.Export(both, weights, ModelFileFormat.SafeTensors, overwrite: false);
        using var input = randn(4, 1, 28, 28, generator: new TorchSharp.torch.Generator(1));
        using var output = both.Forward(input);
        var io = Path.Combine(dir, "io.safetensors");
        SafeTensorsFile.Write(io, new[] { ("input", input), ("output", output) });
        var (code, text) = ModelFileFixtures.CheckWithPyTorch("safetensors", "lenet5-caffe", weights, io);
        Assert.True(code == 0, text);
        using var back = ModelLoader.Load(weights, new ModelLoadOptions());
        Assert.Equal(both.Spec, back.Spec);
    }
}
