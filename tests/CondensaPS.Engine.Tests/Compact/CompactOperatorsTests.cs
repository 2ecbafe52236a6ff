using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

/// <summary>Models made by the real prune and quantize steps (and a measure step) round-trip exactly, history included.</summary>
public class CompactOperatorsTests
{
    [Theory]
    [InlineData("float16", null)]
    [InlineData("bfloat16", null)]
    [InlineData("int8", "per-channel")]
    [InlineData("int8", "per-tensor")]
    public void Pruned_and_quantized_models_round_trip_exactly(string type, string? granularity)
    {
        foreach (var torchScript in new[] { false, true })
        {
            using var model = torchScript
                ? ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions())
                : ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 3 });
            using var pruned = OperationRunner.Run("prune", model, new StepSettings("prune").Set("ratio", 0.9));
            var quantize = new StepSettings("quantize").Set("type", type);
            if (granularity != null) quantize.Set("granularity", granularity);
            using var quantized = OperationRunner.Run("quantize", pruned, quantize);
            using var measured = OperationRunner.Run("measure", quantized, new StepSettings("measure").Set("iterations", 1).Set("warmup", 0).Set("training", false)
                .Set("input-shape", torchScript ? new[] { 1, 8, 8 } : new[] { 1, 28, 28 }));
            var path = Path.Combine(TestPaths.NewTempFolder(), "m.cpz");
            ModelExporter.Export(measured, path, ModelFileFormat.Compact, false);
            using var back = ModelLoader.Load(path, new ModelLoadOptions());
            using var input = torchScript ? randn(2, 1, 8, 8) : randn(2, 1, 28, 28);
            CompactAssert.SameModel(measured, back, input);
            Assert.Equal(new[] { "prune", "quantize", "measure" }, back.History.Select(h => h.Operation));
            Assert.Equal(measured.History.Select(h => h.ToString()), back.History.Select(h => h.ToString()));
            // The operators' values sit exactly on their storage grid, so the writer stores them at that precision.
            var footprint = measured.Footprint();
            var expected = type switch { "float16" => CondensaPS.Engine.Formats.Compact.ValueStorage.Float16, "bfloat16" => CondensaPS.Engine.Formats.Compact.ValueStorage.BFloat16, _ => CondensaPS.Engine.Formats.Compact.ValueStorage.Int8 };
            Assert.All(footprint.Tensors.Where(t => t.Shape.Count > 1), t => Assert.Equal(expected, t.Storage));
            Assert.All(footprint.Tensors.Where(t => t.Shape.Count > 1), t => Assert.Equal(CondensaPS.Engine.Formats.Compact.CompactLayout.Sparse, t.Layout));
            // The tiny TorchScript net's code outweighs its 4,600 weights; LeNet-5 shows the ratio.
            if (!torchScript) Assert.True(footprint.CompressionRatio > 6, $"{type}: ratio {footprint.CompressionRatio}");
        }
    }
}
