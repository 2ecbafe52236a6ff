using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using CondensaPS.Engine.Quantization;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Quantization;

/// <summary>The quantize step's weight sharing (type cluster).</summary>
public class ClusterQuantizeTests
{
    /// <summary>Every element holds codebook[index] (zero where the mask prunes it).</summary>
    internal static void AssertShared(CompressionModel model, string name)
    {
        using var _ = NewDisposeScope();
        var w = model.Parameter(name);
        var q = model.Quantization[name];
        Assert.Equal(StorageType.Cluster, q.Type);
        Assert.Equal(ScalarType.Byte, q.Indices!.dtype);
        Assert.Equal(w.shape, q.Indices.shape);
        Assert.Equal(new[] { 1L << q.Bits }, q.Codebook!.shape);
        var shared = q.Codebook.index_select(0, q.Indices.flatten().to(ScalarType.Int64)).reshape(w.shape);
        if (model.Masks.TryGetValue(name, out var mask)) shared = shared * mask;
        Assert.True(Same(shared, w), $"'{name}' is not codebook[index]");
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("density")]
    public void Pruned_weights_share_2_to_the_bits_values_and_stay_zero(string init)
    {
        using var input = LeNet(3);
        using var pruned = Run("prune", input, ("ratio", 0.8));
        var before = Snapshot(pruned);
        using var output = Run("quantize", pruned, ("type", "cluster"), ("bits", 3L), ("initialization", init));
        AssertSameState(before, pruned);
        Assert.Empty(pruned.Quantization);
        foreach (var (name, w) in Weights(output))
        {
            AssertShared(output, name);
            var q = output.Quantization[name];
            Assert.Equal(3, q.Bits);
            var mask = output.Masks[name];
            Assert.True(Same(mask.eq(0), w.eq(0)), $"{name}: zeros moved");
            // A k-means fixed point: every kept weight took the centroid nearest to its value before.
            var codebook = q.Codebook!.data<float>().ToArray();
            var nearest = new NearestCentroid(codebook);
            var old = before[name].flatten().data<float>().ToArray();
            var index = q.Indices!.flatten().data<byte>().ToArray();
            for (int i = 0; i < old.Length; i++) Assert.Equal(nearest.Of(old[i]), index[i]);
        }
        Assert.Equal(pruned.NonZeros, output.NonZeros);
        Assert.Equal("cluster3", output.DType);
        Assert.True(Same(pruned.Parameter("fc1.bias"), output.Parameter("fc1.bias")), "biases are not clustered by default");
        var layers = LayerInventory.List(output);
        Assert.All(layers, l => { Assert.Equal("cluster3", l.DType); Assert.Equal(3, l.Bits); });
        Assert.Equal(3L, output.History[^1].Results["bits"]);
    }

    [Fact]
    public void Include_patterns_can_name_biases()
    {
        using var input = LeNet(5);
        using var output = Run("quantize", input, ("type", "cluster"), ("bits", 2L), ("include", new[] { "fc1.*" }));
        AssertShared(output, "fc1.weight");
        AssertShared(output, "fc1.bias");
        Assert.Equal(2, output.Quantization.Count);
    }

    [Fact]
    public void Reapplying_after_a_restore_recovers_the_codebook_exactly()
    {
        using var input = LeNet(6);
        using var pruned = Run("prune", input, ("ratio", 0.7));
        using var model = Run("quantize", pruned, ("type", "cluster"), ("bits", 4L));
        var codebook = model.Quantization["conv2.weight"].Codebook!.clone();
        var saved = model.Parameter("conv2.weight").detach().clone();
        using (no_grad())
        {
            model.Parameter("conv2.weight").add_(randn_like(saved) * 0.01);
            QuantizationReapplier.Reapply(model, "conv2.weight", model.Parameter("conv2.weight"));
            Assert.False(Same(codebook, model.Quantization["conv2.weight"].Codebook!));
            AssertShared(model, "conv2.weight");
            model.Parameter("conv2.weight").copy_(saved);
            QuantizationReapplier.Reapply(model, "conv2.weight", model.Parameter("conv2.weight"));
        }
        Assert.True(Same(codebook, model.Quantization["conv2.weight"].Codebook!));
        Assert.True(Same(saved, model.Parameter("conv2.weight")));
    }

    [Fact]
    public void Bad_cluster_settings_name_the_setting_and_the_value()
    {
        using var input = LeNet();
        var high = Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "cluster"), ("bits", 9L)));
        Assert.Equal("bits", high.Key);
        Assert.Contains("9", high.Message);
        Assert.Equal("bits", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "cluster"), ("bits", 1L))).Key);
        Assert.Equal("bits", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "int8"), ("bits", 4L))).Key);
        Assert.Equal("initialization", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "float16"), ("initialization", "linear"))).Key);
        Assert.Equal("initialization", Assert.Throws<StepSettingException>(() => Run("quantize", input, ("type", "cluster"), ("initialization", "forgy"))).Key);
    }

    [Fact]
    public void More_clusters_than_kept_weights_is_a_bits_error_naming_the_layer()
    {
        using var input = LeNet();
        // conv1 has 150 weights; pruning 95% of them leaves 8 (rounded), fewer than 2^4.
        using var pruned = Run("prune", input, ("ratio", 0.95), ("scope", "layer"), ("include", new[] { "conv1.weight" }));
        long kept = pruned.Masks["conv1.weight"].count_nonzero().item<long>();
        var e = Assert.Throws<StepSettingException>(() => Run("quantize", pruned, ("type", "cluster"), ("bits", 4L)));
        Assert.Equal("bits", e.Key);
        Assert.Equal(4L, e.Target);
        Assert.Contains("16 clusters", e.Message);
        Assert.Contains($"{kept} weight(s) 'conv1.weight'", e.Message);
        using var ok = Run("quantize", pruned, ("type", "cluster"), ("bits", 2L));
        AssertShared(ok, "conv1.weight");
    }

    [Fact]
    public void Cluster_steps_replay_from_yaml_identically()
    {
        using var input = LeNet(12);
        using var pruned = Run("prune", input, ("ratio", 0.9));
        using var a = Run("quantize", pruned, ("type", "cluster"), ("bits", 6L), ("include", new[] { "conv*.weight" }), ("initialization", "density"));
        using var expected = Run("quantize", a, ("type", "cluster"), ("bits", 4L), ("include", new[] { "fc*.weight" }));
        var path = Path.Combine(TestPaths.NewTempFolder(), "cluster.yaml");
        StrategyWriter.Export(expected, path);
        Assert.Contains("type: cluster", File.ReadAllText(path));
        using var replayed = StrategyRunner.Run(StrategyPlan.Load(path), input);
        Assert.Empty(ModelComparison.Differences(expected, replayed));
        Assert.Equal("mixed", replayed.DType);
    }
}
