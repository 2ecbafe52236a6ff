using System.Collections;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;

namespace CondensaPS.Engine.Tests.Operators;

public class StrategyTests
{
    private static string Write(string yaml)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "s.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void History_to_yaml_to_replay_gives_identical_weights()
    {
        using var input = LeNet(11);
        using var a = Run("prune", input, ("ratio", 0.65), ("scope", "layer"), ("exclude", new[] { "conv1.*" }));
        using var b = Run("prune", a, ("ratio", 0.3), ("method", "neuron"), ("criterion", "scaled-l2"), ("align", 2));
        using var c = Run("prune", b, ("ratio", 0.25), ("method", "block"), ("block-size", new[] { 2, 2 }));
        using var d = Run("quantize", c, ("type", "int8"), ("granularity", "per-tensor"));
        using var expected = Run("quantize", d, ("type", "bfloat16"), ("in-place", false));
        var path = Path.Combine(TestPaths.NewTempFolder(), "replay.yaml");
        StrategyWriter.Export(expected, path);
        var yaml = File.ReadAllText(path);
        Assert.Contains("- prune: {ratio: 0.65, scope: layer, exclude: [conv1.*]}", yaml);
        Assert.DoesNotContain("in-place", yaml);

        var plan = StrategyPlan.Load(path);
        Assert.Equal(5, plan.Steps.Count);
        using var replayed = StrategyRunner.Run(plan, input);
        AssertSameState(Snapshot(expected), replayed);
        Assert.Equal(expected.Masks.Keys.OrderBy(k => k), replayed.Masks.Keys.OrderBy(k => k));
        foreach (var (name, mask) in expected.Masks) Assert.True(Same(mask, replayed.Masks[name]));
        foreach (var (name, q) in expected.Quantization)
        {
            Assert.Equal(q.Type, replayed.Quantization[name].Type);
            if (q.Scale is not null) Assert.True(Same(q.Scale, replayed.Quantization[name].Scale!));
        }
        Assert.Equal(expected.History.Select(h => h.Operation), replayed.History.Select(h => h.Operation));
        Assert.Same(input, replayed.Reference);
        Assert.False(input.IsDisposed);
    }

    [Fact]
    public void TorchScript_history_replays_identically()
    {
        using var input = TinyTorchScript();
        using var pruned = Run("prune", input, ("ratio", 0.8), ("include", new[] { "*.weight", "&odd: name" }));
        using var expected = Run("quantize", pruned, ("type", "float16"));
        var path = Path.Combine(TestPaths.NewTempFolder(), "ts.yaml");
        StrategyWriter.Export(expected, path, "ts: a 'quoted' name");
        Assert.Equal("ts: a 'quoted' name", StrategyReader.Read(path).Name);
        using var replayed = StrategyRunner.Run(StrategyPlan.Load(path), input);
        AssertSameState(Snapshot(expected), replayed);
    }

    [Fact]
    public void Parameters_are_substituted_whole_and_inside_text_and_can_be_overridden()
    {
        var path = Write("""
            version: 1
            name: subst
            parameters: { ratio: 0.5, layer: fc }
            steps:
              - prune: { ratio: "${ratio}", include: ["${layer}*.weight"] }
            """);
        using var input = LeNet();
        using var byDefault = StrategyRunner.Run(StrategyPlan.Load(path), input);
        Assert.Equal(0.5, byDefault.History[0].Settings["ratio"]);
        Assert.Equal(new[] { "fc1.weight", "fc2.weight", "fc3.weight" }, byDefault.Masks.Keys.OrderBy(k => k));
        var plan = StrategyPlan.Load(path, new Hashtable { ["ratio"] = "0.9", ["layer"] = "conv" });
        Assert.Equal(0.9, plan.Parameters["ratio"]);
        using var overridden = StrategyRunner.Run(plan, input);
        Assert.Equal(new[] { "conv1.weight", "conv2.weight" }, overridden.Masks.Keys.OrderBy(k => k));
        long n = Weights(overridden).Where(w => w.Name.StartsWith("conv")).Sum(w => w.Tensor.numel());
        Assert.Equal((long)Math.Round(0.9 * n, MidpointRounding.ToEven), Weights(overridden).Sum(w => Zeros(w.Tensor)));
    }

    public static TheoryData<string, string, int, int> BadStrategies => new()
    {
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5 }\ncolour: red\n", "StrategyInvalid", 5, 1 },
        { "version: 2\nname: x\nsteps:\n  - prune: { ratio: 0.5 }\n", "StrategyVersion", 1, 10 },
        { "name: x\nsteps:\n  - prune: { ratio: 0.5 }\n", "StrategyVersion", 1, 1 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5 }\n  - sharpen: { amount: 2 }\n", "StrategyUnknownStep", 5, 5 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5, colour: red }\n", "StrategyUnknownSetting", 4, 26 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: abc }\n", "StrategyInvalidSetting", 4, 21 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 1.5 }\n", "StrategyInvalidSetting", 4, 21 },
        { "version: 1\nname: x\nsteps:\n  - prune:\n      ratio: 0.5\n      method: [a, b]\n", "StrategyInvalidSetting", 6, 15 },
        { "version: 1\nname: x\nsteps:\n  - quantize: { type: int8, granularity: per-row }\n", "StrategyInvalidSetting", 4, 42 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: \"${ratio}\" }\n", "StrategyUndefinedParameter", 4, 21 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5\n", "StrategySyntax", 5, 1 },
        { "version: 1\nname: x\nsteps: []\n", "StrategyInvalid", 3, 8 },
        { "version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.5 }\n    quantize: { type: int8 }\n", "StrategyInvalid", 4, 5 },
        { "version: 1\nsteps:\n  - prune: { ratio: 0.5 }\n", "StrategyInvalid", 1, 1 },
    };

    [Theory]
    [MemberData(nameof(BadStrategies))]
    public void Bad_strategies_name_file_line_and_column(string yaml, string errorId, int line, int column)
    {
        var path = Write(yaml);
        var e = Assert.Throws<StrategyException>(() => StrategyPlan.Load(path));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(path, e.File);
        Assert.Equal((line, column), ((int)e.Line, (int)e.Column));
        Assert.StartsWith($"{path}:{line}:{column}: ", e.Message);
    }

    [Fact]
    public void Undeclared_override_and_missing_file_are_errors()
    {
        var path = Write("version: 1\nname: x\nparameters:\n  ratio: 0.5\nsteps:\n  - prune: { ratio: \"${ratio}\" }\n");
        var e = Assert.Throws<StrategyException>(() => StrategyPlan.Load(path, new Hashtable { ["raito"] = 0.7 }));
        Assert.Equal("StrategyUnknownParameter", e.ErrorId);
        Assert.Contains("'raito'", e.Message);
        Assert.Equal("StrategyNotFound", Assert.Throws<StrategyException>(() => StrategyPlan.Load(path + ".missing")).ErrorId);
    }

    [Theory]
    [InlineData("prune80-fp16.yaml")]
    [InlineData("nm24-int8.yaml")]
    [InlineData("filter50-keep-edges.yaml")]
    public void Example_strategies_run(string file)
    {
        var plan = StrategyPlan.Load(Path.Combine(TestPaths.RepoRoot, "examples", "strategies", file));
        using var input = LeNet();
        using var output = StrategyRunner.Run(plan, input);
        Assert.Equal(plan.Steps.Count, output.History.Count);
        Assert.True(output.Sparsity > 0.05);
        using var y = output.Forward(TorchSharp.torch.randn(1, 1, 28, 28));
        Assert.Equal(10, y.shape[1]);
    }

    [Fact]
    public void Exporting_without_history_is_an_error()
    {
        using var input = Mlp();
        Assert.Equal("HistoryEmpty", Assert.Throws<EngineException>(() => StrategyWriter.Export(input, Path.Combine(TestPaths.NewTempFolder(), "e.yaml"))).ErrorId);
    }
}
