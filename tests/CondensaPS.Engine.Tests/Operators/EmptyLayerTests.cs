using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;

namespace CondensaPS.Engine.Tests.Operators;

/// <summary>Pruning that empties a layer warns with its name; max-layer-sparsity caps each layer's share.</summary>
public class EmptyLayerTests
{
    private static (CompressionModel Model, List<string> Warnings) Prune(CompressionModel input, params (string Key, object? Value)[] settings)
    {
        var warnings = new List<string>();
        var s = new StepSettings("prune");
        foreach (var (k, v) in settings) s.Set(k, v);
        var output = OperationRunner.Run("prune", input, s, null, new OperationContext { Warning = warnings.Add });
        return (output, warnings);
    }

    private static IReadOnlyList<LayerSparsity> Layers(CompressionModel m) => (IReadOnlyList<LayerSparsity>)m.History[^1].Results["layers"]!;

    [PyTorchFact]
    public void Global_magnitude_on_a_seeded_torchvision_ResNet50_empties_fc_and_says_so_and_the_cap_prevents_it()
    {
        using var model = ModelLoader.Load(TestModels.Path("resnet50:size=64"), new ModelLoadOptions());
        var (pruned, warnings) = Prune(model, ("ratio", 0.8), ("method", "magnitude"), ("scope", "global"));
        using (pruned)
        {
            var fc = Layers(pruned).Single(l => l.Name == "fc.weight");
            Assert.True(fc.Sparsity >= 0.99, $"fc.weight sparsity {fc.Sparsity}");
            var warning = Assert.Single(warnings);
            Assert.Contains("fc.weight", warning);
            Assert.Contains("-MaxLayerSparsity", warning);
            Assert.Contains("fc.weight", (List<string>)pruned.History[^1].Results["emptied"]!);
        }
        var (capped, none) = Prune(model, ("ratio", 0.8), ("method", "magnitude"), ("scope", "global"), ("max-layer-sparsity", 0.9));
        using (capped)
        {
            Assert.Empty(none);
            Assert.All(Layers(capped), l => Assert.True(l.Sparsity <= 0.9 + 1e-9, $"{l.Name} {l.Sparsity}"));
            // The global count is still met: the weights the cap spares in fc are taken from other layers.
            long n = Layers(capped).Sum(l => l.Parameters);
            Assert.Equal(PruneOptions.PruneCount(0.8, n), Layers(capped).Sum(l => l.Zeros));
            Assert.Equal(0.9, Layers(capped).Single(l => l.Name == "fc.weight").Sparsity, 3);
        }
    }

    [Fact]
    public void A_layer_scope_cap_bounds_every_layer()
    {
        using var model = LeNet();
        var (pruned, warnings) = Prune(model, ("ratio", 0.95), ("method", "magnitude"), ("scope", "layer"), ("max-layer-sparsity", 0.5));
        using (pruned)
        {
            Assert.All(Layers(pruned), l => Assert.InRange(l.Sparsity, 0.49, 0.5));
            Assert.Empty(warnings);
        }
    }

    [Fact]
    public void A_cap_too_low_for_the_ratio_stops_every_layer_at_the_cap_and_warns()
    {
        using var model = LeNet();
        var (pruned, warnings) = Prune(model, ("ratio", 0.8), ("max-layer-sparsity", 0.3));
        using (pruned)
        {
            Assert.All(Layers(pruned), l => Assert.InRange(l.Sparsity, 0.29, 0.3));
            Assert.Contains(warnings, w => w.Contains("too few weights to reach ratio 0.8"));
        }
    }

    [Fact]
    public void Filter_pruning_that_empties_a_layer_warns_too()
    {
        using var model = LeNet();
        var (pruned, warnings) = Prune(model, ("ratio", 0.99), ("method", "filter"));
        using (pruned)
            Assert.Contains(warnings, w => w.Contains("conv1.weight") && w.Contains("conv2.weight"));
    }

    [Theory]
    [InlineData("nm", 0.5)]
    [InlineData("magnitude", 0.0)]
    [InlineData("magnitude", 1.5)]
    public void A_cap_that_makes_no_sense_is_refused(string method, double cap)
    {
        using var model = LeNet();
        var settings = new StepSettings("prune").Set("method", method).Set("max-layer-sparsity", cap);
        if (method != "nm") settings.Set("ratio", 0.5);
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("prune", model, settings));
        Assert.Equal("InvalidStepSetting", e.ErrorId);
        Assert.Equal("max-layer-sparsity", e.Key);
    }
}
