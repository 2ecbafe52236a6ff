using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Operators;

public class PruneOperationTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.37)]
    [InlineData(0.8)]
    [InlineData(0.95)]
    public void Global_magnitude_zeroes_exactly_round_r_N_of_the_smallest(double ratio)
    {
        using var input = LeNet();
        var before = Snapshot(input);
        using var output = Run("prune", input, ("ratio", ratio));
        var weights = Weights(output).ToList();
        long n = weights.Sum(w => w.Tensor.numel());
        Assert.Equal((long)Math.Round(ratio * n, MidpointRounding.ToEven), weights.Sum(w => Zeros(w.Tensor)));
        // Every pruned weight was no larger than every kept one.
        var pruned = weights.Select(w => before[w.Name].abs().masked_select(w.Tensor.eq(0))).ToArray();
        var kept = weights.Select(w => before[w.Name].abs().masked_select(w.Tensor.ne(0))).ToArray();
        if (ratio > 0) Assert.True(cat(pruned, 0).max().item<float>() <= cat(kept, 0).min().item<float>());
        // Biases untouched; the input is untouched and is the reference.
        Assert.True(Same(before["fc1.bias"], output.Parameter("fc1.bias")));
        AssertSameState(before, input);
        Assert.Same(input, output.Reference);
        Assert.Equal(weights.Count, output.Masks.Count);
        var step = Assert.Single(output.History);
        Assert.Equal("prune", step.Operation);
        var layers = Assert.IsAssignableFrom<IReadOnlyList<LayerSparsity>>(step.Results["layers"]);
        Assert.Equal(weights.Select(w => w.Name), layers.Select(l => l.Name));
    }

    [Fact]
    public void Layer_scope_prunes_each_layer_to_the_ratio()
    {
        using var input = Mlp();
        using var output = Run("prune", input, ("ratio", 0.45), ("scope", "layer"));
        foreach (var (name, w) in Weights(output))
            Assert.Equal((long)Math.Round(0.45 * w.numel(), MidpointRounding.ToEven), Zeros(w));
    }

    [Fact]
    public void Ties_are_broken_by_position_so_the_count_is_exact()
    {
        using var input = Mlp();
        using (no_grad()) foreach (var (_, w) in Weights(input)) w.fill_(0.25);
        using var output = Run("prune", input, ("ratio", 0.3));
        var flat = cat(Weights(output).Select(w => w.Tensor.reshape(-1)).ToArray(), 0);
        long k = (long)Math.Round(0.3 * flat.numel(), MidpointRounding.ToEven);
        Assert.Equal(0, flat.narrow(0, 0, k).count_nonzero().item<long>());
        Assert.Equal(flat.numel() - k, flat.narrow(0, k, flat.numel() - k).count_nonzero().item<long>());
    }

    [Fact]
    public void Sampled_selection_is_exact_with_many_ties_over_millions_of_values()
    {
        random.manual_seed(3);
        var a = randint(0, 50, new long[] { 1_500_000 }).to(ScalarType.Float32);
        var b = randint(0, 50, new long[] { 900_000 }).to(ScalarType.Float32);
        long k = 1_234_567;
        var keeps = LowestSelection.KeepMasks(new[] { a, b }, k);
        var keep = cat(new[] { keeps[0], keeps[1] }, 0);
        var all = cat(new[] { a, b }, 0);
        Assert.Equal(k, keep.numel() - keep.count_nonzero().item<long>());
        var threshold = all.masked_select(keep.logical_not()).max();
        Assert.True(all.masked_select(keep).min().item<float>() >= threshold.item<float>());
        // Among the tied elements at the threshold, the pruned ones all come before the kept ones.
        var tied = all.eq(threshold);
        var tiedKeep = keep.masked_select(tied).to(ScalarType.Int32);
        Assert.True(Same(tiedKeep, tiedKeep.sort().Values));
        Assert.True(Same(LowestSelection.KthValue(new[] { a, b }, k, all.numel()), all.kthvalue(k, 0).values));
    }

    [Fact]
    public void TorchScript_models_prune_exactly_and_keep_batch_norm()
    {
        using var input = TinyTorchScript();
        var before = Snapshot(input);
        using var output = Run("prune", input, ("ratio", 0.6));
        var weights = Weights(output).ToList();
        Assert.Equal(new[] { "conv1.weight", "conv2.weight", "fc.weight" }, weights.Select(w => w.Name));
        long n = weights.Sum(w => w.Tensor.numel());
        Assert.Equal((long)Math.Round(0.6 * n, MidpointRounding.ToEven), weights.Sum(w => Zeros(w.Tensor)));
        Assert.True(Same(before["bn1.weight"], output.Parameter("bn1.weight")));
        AssertSameState(before, input);
        using var y = output.Forward(randn(2, 3, 16, 16));
        Assert.Equal(new long[] { 2, 10 }, y.shape);
    }

    [Theory]
    [InlineData("l1")]
    [InlineData("l2")]
    [InlineData("max")]
    [InlineData("mean")]
    [InlineData("scaled-l2")]
    public void Filter_pruning_zeroes_whole_filters_with_the_lowest_criterion(string criterion)
    {
        using var input = TinyTorchScript();
        var before = Snapshot(input);
        using var output = Run("prune", input, ("ratio", 0.5), ("method", "filter"), ("criterion", criterion));
        foreach (var name in new[] { "conv1.weight", "conv2.weight" })
        {
            var w = output.Parameter(name);
            var original = before[name].reshape(w.shape[0], -1).abs();
            var score = criterion switch
            {
                "l1" => original.sum(1),
                "l2" => original.square().sum(1).sqrt(),
                "max" => original.amax(new long[] { 1 }),
                "mean" => original.mean(new long[] { 1 }),
                _ => original.square().sum(1).sqrt() / Math.Sqrt(original.shape[1]),
            };
            var rows = w.reshape(w.shape[0], -1);
            var zeroRow = rows.count_nonzero(new long[] { 1 }).eq(0);
            Assert.Equal(w.shape[0] / 2, zeroRow.count_nonzero().item<long>());
            // Each filter is either all zero or untouched.
            var keptIndex = zeroRow.logical_not().nonzero().reshape(-1);
            Assert.True(Same(rows.index_select(0, keptIndex), before[name].reshape(w.shape[0], -1).index_select(0, keptIndex)));
            Assert.True(score.masked_select(zeroRow).max().item<float>() <= score.masked_select(zeroRow.logical_not()).min().item<float>());
        }
        Assert.True(Same(before["fc.weight"], output.Parameter("fc.weight")));
    }

    [Theory]
    [InlineData(0.5, 4, 4, 8)]
    [InlineData(0.7, 4, 4, 8)]
    [InlineData(0.9, 1, 1, 2)]
    public void Align_keeps_a_multiple_of_N_filters(double ratio, int align, long conv1Survivors, long conv2Survivors)
    {
        using var input = LeNet();
        using var output = Run("prune", input, ("ratio", ratio), ("method", "filter"), ("align", align));
        long Survivors(string name) { var w = output.Parameter(name); return w.reshape(w.shape[0], -1).count_nonzero(new long[] { 1 }).gt(0).count_nonzero().item<long>(); }
        Assert.Equal(conv1Survivors, Survivors("conv1.weight"));
        Assert.Equal(conv2Survivors, Survivors("conv2.weight"));
    }

    [Fact]
    public void Neuron_pruning_zeroes_whole_rows_of_linear_layers_only()
    {
        using var input = LeNet();
        var before = Snapshot(input);
        using var output = Run("prune", input, ("ratio", 0.25), ("method", "neuron"), ("criterion", "l2"));
        foreach (var name in new[] { "fc1.weight", "fc2.weight", "fc3.weight" })
        {
            var w = output.Parameter(name);
            var zeroRow = w.count_nonzero(new long[] { 1 }).eq(0);
            Assert.Equal((long)Math.Round(0.25 * w.shape[0], MidpointRounding.ToEven), zeroRow.count_nonzero().item<long>());
            var norms = before[name].square().sum(1).sqrt();
            Assert.True(norms.masked_select(zeroRow).max().item<float>() <= norms.masked_select(zeroRow.logical_not()).min().item<float>());
            Assert.Equal(0, Zeros(w) - zeroRow.count_nonzero().item<long>() * w.shape[1]);
        }
        Assert.True(Same(before["conv1.weight"], output.Parameter("conv1.weight")));
    }

    [Fact]
    public void NM_keeps_the_N_largest_of_every_M_along_the_input_dimension()
    {
        using var input = TinyTorchScript();
        var before = Snapshot(input);
        using var output = Run("prune", input, ("method", "nm"), ("n", 2), ("m", 4));
        var skipped = Assert.IsAssignableFrom<IReadOnlyList<SkippedLayer>>(output.History[^1].Results["skipped"]);
        Assert.Equal("conv1.weight", Assert.Single(skipped).Name); // 3 x 3 x 3 = 27 inputs
        Assert.True(Same(before["conv1.weight"], output.Parameter("conv1.weight")));
        foreach (var name in new[] { "conv2.weight", "fc.weight" })
        {
            var groups = output.Parameter(name).reshape(-1, 4);
            var original = before[name].reshape(-1, 4).abs();
            for (long g = 0; g < groups.shape[0]; g++)
            {
                var kept = groups[g].ne(0);
                Assert.Equal(2, kept.count_nonzero().item<long>());
                Assert.True(original[g].masked_select(kept).min().item<float>() >= original[g].masked_select(kept.logical_not()).max().item<float>());
            }
        }
    }

    [Fact]
    public void Block_pruning_zeroes_whole_blocks()
    {
        using var input = Mlp();
        using var output = Run("prune", input, ("ratio", 0.5), ("method", "block"), ("block-size", new[] { 2, 4 }));
        foreach (var (name, w) in Weights(output))
        {
            long r = w.shape[0], c = w.shape[1];
            long rb = (r + 1) / 2, cb = (c + 3) / 4;
            var padded = nn.functional.pad(w.ne(0).to(ScalarType.Float32), new long[] { 0, cb * 4 - c, 0, rb * 2 - r }, value: 0);
            var live = padded.reshape(rb, 2, cb, 4).permute(0, 2, 1, 3).reshape(rb * cb, 8).sum(1);
            Assert.Equal((long)Math.Round(0.5 * rb * cb, MidpointRounding.ToEven), live.eq(0).count_nonzero().item<long>());
        }
    }

    [Fact]
    public void Existing_masks_are_kept_and_combined()
    {
        using var input = LeNet();
        using var first = Run("prune", input, ("ratio", 0.5));
        var firstZeros = Weights(first).ToDictionary(w => w.Name, w => w.Tensor.eq(0));
        using var lower = Run("prune", first, ("ratio", 0.3));
        using var higher = Run("prune", first, ("ratio", 0.8), ("scope", "layer"));
        foreach (var (name, w) in Weights(lower)) Assert.True(Same(w.eq(0), firstZeros[name]));
        foreach (var (name, w) in Weights(higher))
        {
            Assert.True(Same(w.eq(0).logical_or(firstZeros[name]), w.eq(0)));
            Assert.Equal((long)Math.Round(0.8 * w.numel(), MidpointRounding.ToEven), Zeros(w));
            Assert.True(Same(higher.Masks[name].eq(0), w.eq(0)));
        }
        Assert.Equal(2, higher.History.Count);
    }

    [Fact]
    public void Masks_survive_an_optimizer_step()
    {
        using var input = LeNet();
        using var model = Run("prune", input, ("ratio", 0.7));
        model.Module.train();
        var optimizer = optim.SGD(model.Module.parameters(), 0.1);
        random.manual_seed(5);
        var loss = nn.functional.cross_entropy(model.Forward(randn(8, 1, 28, 28)), randint(0, 10, new long[] { 8 }));
        loss.backward();
        optimizer.step();
        Assert.Contains(Weights(model), w => Zeros(w.Tensor) < w.Tensor.numel() * 0.69); // the step moved pruned weights
        model.ApplyMasks();
        foreach (var (name, w) in Weights(model))
            Assert.Equal(0, w.masked_select(model.Masks[name].eq(0)).count_nonzero().item<long>());
    }

    [Fact]
    public void Include_and_exclude_select_by_wildcard()
    {
        using var input = LeNet();
        var before = Snapshot(input);
        using var dense = Run("prune", input, ("ratio", 0.5), ("exclude", new[] { "conv1.*", "FC3.*" }));
        Assert.True(Same(before["conv1.weight"], dense.Parameter("conv1.weight")));
        Assert.True(Same(before["fc3.weight"], dense.Parameter("fc3.weight")));
        Assert.Equal(new[] { "conv2.weight", "fc1.weight", "fc2.weight" }, dense.Masks.Keys.OrderBy(k => k));
        using var onlyFc = Run("prune", input, ("ratio", 0.5), ("include", "fc?.weight"));
        Assert.Equal(new[] { "fc1.weight", "fc2.weight", "fc3.weight" }, onlyFc.Masks.Keys.OrderBy(k => k));
        var e = Assert.Throws<EngineException>(() => Run("prune", input, ("ratio", 0.5), ("include", "nothing.*")));
        Assert.Equal("NothingToPrune", e.ErrorId);
    }

    [Theory]
    [InlineData("ratio", 1.0, null, null)]
    [InlineData("ratio", -0.1, null, null)]
    [InlineData("ratio", "abc", null, null)]
    [InlineData("method", "random", null, null)]
    [InlineData("criterion", "l1", null, null)]
    [InlineData("align", 4, null, null)]
    [InlineData("scope", "global", "method", "filter")]
    [InlineData("ratio", 0.5, "method", "nm")]
    [InlineData("n", 4, "method", "nm")]
    [InlineData("block-size", "1,2,3", "method", "block")]
    [InlineData("colour", "red", null, null)]
    public void Bad_settings_are_errors_naming_the_setting(string key, object value, string? otherKey, object? otherValue)
    {
        using var input = Mlp();
        var s = new StepSettings("prune").Set(key, value);
        if (otherKey != null) s.Set(otherKey, otherValue);
        if (!s.Has("ratio") && otherValue as string != "nm") s.Set("ratio", 0.5);
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("prune", input, s));
        Assert.Equal(key, e.Key);
        Assert.Empty(input.History);
    }

    [Fact]
    public void In_place_changes_the_input_itself()
    {
        using var input = Mlp();
        var output = Run("prune", input, ("ratio", 0.5), ("in-place", true));
        Assert.Same(input, output);
        Assert.Single(input.History);
        Assert.True(input.Sparsity > 0.4);
    }
}
