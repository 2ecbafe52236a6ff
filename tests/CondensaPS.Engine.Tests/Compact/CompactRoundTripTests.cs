using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

public class CompactRoundTripTests
{
    private static CompressionModel NewLeNet(long seed = 1) =>
        ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = seed });

    private static CompressionModel TinyTorchScript() =>
        ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions());

    private static CompressionModel RoundTrip(CompressionModel model, out string path)
    {
        path = Path.Combine(TestPaths.NewTempFolder(), "model.cpz");
        ModelExporter.Export(model, path, ModelFileFormat.Compact, overwrite: false);
        Assert.Equal(ModelFileFormat.Compact, ModelFileFormatDetector.Detect(path));
        return ModelLoader.Load(path, new ModelLoadOptions());
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (var sparsity in new[] { 0.0, 0.9 })
        foreach (var type in new[] { StorageType.Float32, StorageType.Float16, StorageType.BFloat16, StorageType.Int8 })
            yield return new object[] { sparsity, type };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Built_in_models_round_trip_exactly(double sparsity, StorageType type)
    {
        using var model = NewLeNet();
        if (sparsity > 0) TestCompression.Prune(model, sparsity);
        if (type != StorageType.Float32) TestCompression.Quantize(model, type);
        using var back = RoundTrip(model, out var path);
        using var input = randn(4, 1, 28, 28, generator: new TorchSharp.torch.Generator(3));
        CompactAssert.SameModel(model, back, input);
        Assert.Equal("lenet5", back.Architecture);
        Assert.Equal(model.Spec, back.Spec);
        Assert.Equal(path, back.Source);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TorchScript_models_round_trip_exactly(double sparsity, StorageType type)
    {
        using var model = TinyTorchScript();
        if (sparsity > 0) TestCompression.Prune(model, sparsity);
        if (type != StorageType.Float32) TestCompression.Quantize(model, type);
        using var back = RoundTrip(model, out _);
        Assert.True(back.IsTorchScript);
        Assert.False(back.IsTraced);
        using var input = randn(4, 1, 8, 8, generator: new TorchSharp.torch.Generator(5));
        CompactAssert.SameModel(model, back, input);
    }

    [Fact]
    public void Per_tensor_int8_scales_and_resnet_buffers_round_trip()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputSize = 32, Seed = 2 });
        TestCompression.Prune(model, 0.5);
        TestCompression.Quantize(model, StorageType.Int8, perChannel: false);
        using var back = RoundTrip(model, out _);
        using var input = randn(1, 3, 32, 32, generator: new TorchSharp.torch.Generator(1));
        CompactAssert.SameModel(model, back, input);
    }

    [Fact]
    public void History_name_and_settings_come_back_with_their_types()
    {
        using var model = NewLeNet();
        model.Name = "lenet-history";
        var settings = new StepSettings("prune").Set("ratio", 0.5).Set("method", "magnitude").Set("layers", new[] { "conv1.weight", "fc1.weight" }).Set("seed", 3).Set("whole", 1.0);
        var results = new Dictionary<string, object?> { ["per-layer"] = new Dictionary<string, object?> { ["conv1.weight"] = 0.5 }, ["losses"] = new[] { 1.5, double.NaN }, ["epochs"] = 3 };
        model.AppendHistory(new HistoryStep("prune", settings.ToDictionary(), TimeSpan.FromMilliseconds(1234.5), model.Figures(), model.Figures(), results));
        using var back = RoundTrip(model, out _);
        Assert.Equal("lenet-history", back.Name);
        var step = Assert.Single(back.History);
        var original = model.History[0];
        Assert.Equal("prune", step.Operation);
        Assert.Equal(original.Elapsed, step.Elapsed);
        Assert.Equal(original.Timestamp, step.Timestamp);
        Assert.Equal(original.Before, step.Before);
        Assert.Equal(original.After, step.After);
        Assert.Equal(original.Settings.Keys, step.Settings.Keys);
        Assert.Equal(0.5, step.Settings["ratio"]);
        Assert.Equal(1.0, Assert.IsType<double>(step.Settings["whole"]));
        Assert.Equal(3L, step.Settings["seed"]);
        Assert.Equal(new object[] { "conv1.weight", "fc1.weight" }, (IEnumerable<object?>)step.Settings["layers"]!);
        Assert.Equal(3L, step.Results["epochs"]);
        var losses = ((IEnumerable<object?>)step.Results["losses"]!).ToList();
        Assert.Equal(1.5, losses[0]);
        Assert.True(double.IsNaN((double)losses[1]!));
        Assert.Equal(0.5, ((IReadOnlyDictionary<string, object?>)step.Results["per-layer"]!)["conv1.weight"]);
    }

    [Fact]
    public void Values_off_their_storage_grid_are_kept_exactly_at_full_precision()
    {
        using var model = NewLeNet();
        // A quantization record whose values were never rounded: the writer must not round them.
        foreach (var (name, _) in model.NamedParameters()) model.Quantization[name] = new QuantizationState(StorageType.Float16);
        var encoding = CompactWriter.Encode(model);
        Assert.All(encoding.Tensors.Where(t => t.Role == "parameter" && t.Shape.Count > 1), t => Assert.Equal(ValueStorage.Raw, t.Storage));
        using var back = RoundTrip(model, out _);
        using var input = randn(2, 1, 28, 28);
        CompactAssert.SameModel(model, back, input);
    }

    [Fact]
    public void A_mask_over_nonzero_weights_is_stored_densely_with_an_explicit_mask()
    {
        using var model = NewLeNet();
        TestCompression.Prune(model, 0.5);
        using (no_grad()) model.Parameter("fc3.weight").add_(1.0f); // pruned weights are no longer zero
        var info = CompactWriter.Encode(model).Tensors.Single(t => t.Name == "fc3.weight");
        Assert.Equal(CompactLayout.Dense, info.Layout);
        Assert.Equal(MaskMode.Explicit, info.Mask);
        using var back = RoundTrip(model, out _);
        using var input = randn(2, 1, 28, 28);
        CompactAssert.SameModel(model, back, input);
    }

    [Fact]
    public void Each_tensor_takes_the_smallest_position_encoding()
    {
        using var model = NewLeNet();
        TestCompression.Prune(model, 0.5);
        using (no_grad())
        {
            var fc1 = model.Parameter("fc1.weight");
            var mask = (rand(fc1.shape, generator: new TorchSharp.torch.Generator(4)) < 0.01).to(fc1.dtype);
            fc1.mul_(mask);
            model.Masks["fc1.weight"] = mask;
        }
        var infos = CompactWriter.Encode(model).Tensors.ToDictionary(t => t.Name);
        Assert.NotEqual(PositionEncoding.Bitmask, infos["fc1.weight"].Positions);
        Assert.Equal(PositionEncoding.Bitmask, infos["fc2.weight"].Positions);
        foreach (var name in new[] { "conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight" })
        {
            var kept = (model.Masks[name].flatten() != 0).data<bool>().ToArray();
            var sizes = Enum.GetValues<PositionEncoding>().ToDictionary(e => e, e => CompactPositions.Encode(kept, e).EncodedLength);
            Assert.Equal(sizes.MinBy(kv => (kv.Value, (int)kv.Key)).Key, infos[name].Positions);
            Assert.Equal(CompactLayout.Sparse, infos[name].Layout);
            Assert.Equal(MaskMode.StoredPositions, infos[name].Mask);
        }
        Assert.All(infos.Values.Where(t => t.Shape.Count == 1), t => Assert.Equal(CompactLayout.Dense, t.Layout));
    }

    [Fact]
    public void Footprint_matches_the_exported_file_and_shrinks_with_compression()
    {
        using var dense = NewLeNet();
        var denseFootprint = ModelFootprint.Of(dense);
        using var compressed = NewLeNet();
        TestCompression.Prune(compressed, 0.9);
        TestCompression.Quantize(compressed, StorageType.Float16);
        var footprint = ModelFootprint.Of(compressed);
        var path = Path.Combine(TestPaths.NewTempFolder(), "c.cpz");
        ModelExporter.Export(compressed, path, ModelExporter.DefaultFormat(compressed, path), overwrite: false);
        Assert.Equal(new FileInfo(path).Length, footprint.CompactBytes);
        Assert.Equal(compressed.DenseBytes, footprint.DenseBytes);
        // Dense fp32 values deflate a little (their exponent bytes repeat); nothing more.
        Assert.InRange(denseFootprint.CompressionRatio, 0.95, 1.25);
        Assert.True(footprint.CompressionRatio > 8, $"ratio {footprint.CompressionRatio}");
        Assert.Equal((double)footprint.DenseBytes / footprint.CompactBytes, footprint.CompressionRatio, 10);
    }
}
