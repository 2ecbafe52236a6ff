using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Quantization;
using CondensaPS.Engine.Training;
using TorchSharp;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

/// <summary>Retraining a weight-shared model: centroids learn, assignments and masks hold.</summary>
public class ClusterRetrainTests
{
    [Fact]
    public void One_sgd_step_moves_each_centroid_by_its_members_gathered_gradient()
    {
        using var input = RetrainTestData.LeNet(7);
        using var pruned = Run("prune", input, ("ratio", 0.6));
        using var model = Run("quantize", pruned, ("type", "cluster"), ("bits", 4L));
        var (x, y) = RetrainTestData.Train(32).Batch(Enumerable.Range(0, 32).ToArray(), 0, 32, new Random(1), null);
        const double lr = 0.05;
        var codebooks = model.Quantization.ToDictionary(q => q.Key, q => q.Value.Codebook!.clone());
        var indices = model.Quantization.ToDictionary(q => q.Key, q => q.Value.Indices!.clone());

        model.Module.train();
        var parameters = model.Module.parameters().ToList();
        using var optimizer = optim.SGD(parameters, lr, 0.0);
        using var masters = new SharedWeightsConstraint(model);
        var loss = nn.functional.cross_entropy(model.Forward(x), y);
        loss.backward();
        // dL/dc_k = sum of dL/dw over the kept weights assigned to k (Deep Compression, equation 3).
        var expected = new Dictionary<string, Tensor>();
        foreach (var (name, codebook) in codebooks)
        {
            var grad = model.Parameter(name).grad!.flatten().to(ScalarType.Float64);
            var kept = model.Masks[name].flatten().ne(0);
            var gathered = zeros(codebook.shape[0], dtype: ScalarType.Float64)
                .index_add_(0, indices[name].flatten().to(ScalarType.Int64).masked_select(kept), grad.masked_select(kept), 1);
            expected[name] = codebook.to(ScalarType.Float64) - gathered * lr;
        }
        optimizer.step();
        model.ApplyMasks();
        masters.AfterStep();

        foreach (var (name, want) in expected)
        {
            var state = model.Quantization[name];
            Assert.True(Same(indices[name], state.Indices!), $"{name}: assignments changed");
            var got = state.Codebook!.to(ScalarType.Float64);
            double moved = (want - codebooks[name].to(ScalarType.Float64)).abs().max().item<double>();
            Assert.True(moved > 0, $"{name}: no centroid moved");
            double error = (got - want).abs().max().item<double>();
            Assert.True(error <= 1e-5 * Math.Max(1, moved) + 1e-6, $"{name}: centroids off by {error} (largest move {moved})");
            ClusterQuantizeTests.AssertShared(model, name);
        }
    }

    [Fact]
    public void Retraining_fine_tunes_centroids_and_keeps_masks_and_assignments()
    {
        using var reference = RetrainTestData.LeNet(8);
        using var pruned = Run("prune", reference, ("ratio", 0.8));
        using var clustered = Run("quantize", pruned, ("type", "cluster"), ("bits", 2L), ("include", new[] { "*" }));
        var settings = new StepSettings("retrain").Set("epochs", 2L).Set("batch-size", 32L).Set("seed", 2L);
        using var tuned = OperationRunner.Run("retrain", clustered, settings,
            new OperationInputs { TrainingData = RetrainTestData.Train(192), ValidationData = RetrainTestData.Val(64) });
        Assert.Equal(clustered.Quantization.Keys.OrderBy(k => k), tuned.Quantization.Keys.OrderBy(k => k));
        bool anyMoved = false;
        foreach (var (name, before) in clustered.Quantization)
        {
            var after = tuned.Quantization[name];
            Assert.True(Same(before.Indices!, after.Indices!), $"{name}: assignments changed");
            anyMoved |= !Same(before.Codebook!, after.Codebook!);
            ClusterQuantizeTests.AssertShared(tuned, name);
            if (tuned.Masks.TryGetValue(name, out var mask))
            {
                Assert.True(Same(clustered.Masks[name], mask));
                Assert.Equal(0, tuned.Parameter(name).mul(mask.eq(0)).count_nonzero().item<long>());
            }
        }
        Assert.True(anyMoved, "no centroid moved");
        Assert.Equal("cluster2", tuned.DType);
    }

    [Fact]
    public void Lc_keeps_weights_on_their_codebooks()
    {
        using var reference = RetrainTestData.LeNet(9);
        using var pruned = Run("prune", reference, ("ratio", 0.5));
        using var clustered = Run("quantize", pruned, ("type", "cluster"), ("bits", 4L));
        using var lc = OperationRunner.Run("retrain", clustered, new StepSettings("retrain").Set("method", "lc").Set("epochs", 1L).Set("seed", 1L),
            new OperationInputs { TrainingData = RetrainTestData.Train(128) });
        foreach (var name in clustered.Quantization.Keys)
        {
            Assert.True(Same(clustered.Quantization[name].Indices!, lc.Quantization[name].Indices!));
            ClusterQuantizeTests.AssertShared(lc, name);
        }
    }
}
