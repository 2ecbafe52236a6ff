using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Strategies;

/// <summary>Syntax errors name the file, line and column; oversized strategy files are refused before parsing.</summary>
public class StrategyReaderLimitsTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "s.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    // YamlDotNet's scanner throws a bare InvalidOperationException for a flow mapping whose plain scalar runs on into
    // block lines, and an ArgumentException for an alias where a node cannot be: both once reached the user raw.
    [InlineData("version: {1\nname: x\nsteps:\n  - quantize: { type: float16 }\n", 1, 10, "'{' opened here is not closed")]
    [InlineData("version: 1\nname: x\nsteps:\n  - quantize: [ float16\n  - prune: { ratio: 0.5 }\n", 4, 15, "'[' opened here is not closed")]
    [InlineData("version: 1\nname: x\nsteps:\n  - quantize: { type: float16 }*a\n", 4, 32, "alias")]
    [InlineData("version: 1\nname: x\nsteps:\n  - prune: { ratio: 0.8\n", 5, 1, "did not find expected ',' or '}'")]
    [InlineData("{", 2, 1, "did not find expected node content")]
    public void A_syntax_error_names_the_file_line_and_column(string text, int line, int column, string says)
    {
        var path = Write(text);
        var e = Assert.Throws<StrategyException>(() => StrategyReader.Read(path));
        Assert.Equal(("StrategySyntax", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Equal((line, column), ((int)e.Line, (int)e.Column));
        Assert.StartsWith($"{path}:{line}:{column}: not valid YAML: ", e.Message);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void A_strategy_file_over_the_size_cap_is_refused_before_it_is_parsed()
    {
        var limits = new StrategyLimits { MaxFileBytes = 4096, MaxSteps = StrategyLimits.Default.MaxSteps };
        var text = "version: 1\nname: big\nsteps:\n" + string.Concat(Enumerable.Repeat("  - quantize: { type: float16 }\n", 200));
        var path = Write(text);
        var e = Assert.Throws<StrategyException>(() => StrategyReader.Read(path, limits));
        Assert.Equal(("StrategyTooLarge", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains("4,096", e.Message);
        Assert.Contains("MaxStrategyFileBytes", e.Message);
    }

    [Fact]
    public void A_strategy_with_more_steps_than_the_cap_is_refused_at_the_first_step_over()
    {
        var limits = new StrategyLimits { MaxFileBytes = StrategyLimits.Default.MaxFileBytes, MaxSteps = 10 };
        var text = "version: 1\nname: long\nsteps:\n" + string.Concat(Enumerable.Repeat("  - quantize: { type: float16 }\n", 11));
        var path = Write(text);
        var e = Assert.Throws<StrategyException>(() => StrategyReader.Read(path, limits));
        Assert.Equal(("StrategyTooManySteps", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Equal(14, e.Line);
        Assert.Contains("MaxStrategySteps", e.Message);
        Assert.Equal(10, StrategyReader.Read(Write("version: 1\nname: ten\nsteps:\n" + string.Concat(Enumerable.Repeat("  - quantize: { type: float16 }\n", 10))), limits).Steps.Count);
    }

    [Fact]
    public void The_default_caps_refuse_a_50_MB_file_unread_and_take_every_example()
    {
        Assert.Equal(1024 * 1024, StrategyLimits.Default.MaxFileBytes);
        Assert.Equal(1000, StrategyLimits.Default.MaxSteps);
        var path = Path.Combine(TestPaths.NewTempFolder(), "huge.yaml");
        using (var stream = File.Create(path))
        {
            stream.Write("version: 1\nname: huge\nsteps:\n"u8);
            stream.SetLength(50L * 1024 * 1024); // sparse: refused by its size before a byte of it is parsed
        }
        var e = Assert.Throws<StrategyException>(() => StrategyReader.Read(path));
        Assert.Equal("StrategyTooLarge", e.ErrorId);
        Assert.Contains("52,428,800", e.Message);
        foreach (var example in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "examples", "strategies"), "*.yaml"))
            StrategyReader.Read(example);
    }
}
