using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Search;

public class FixedStrategyTests
{
    [Fact]
    public void The_found_values_become_the_defaults_and_the_search_section_goes()
    {
        const string text = "# comment\nversion: 1\nname: s\nparameters:\n  ratio: 0.9\n  epochs: 3\nsearch:\n  parameters:\n    ratio: { min: 0.5, max: 0.99 }\n  constraints: { accuracy-drop: 1 }\n  objective: compact-bytes\nsteps:\n  - prune: { ratio: \"${ratio}\" }\n  - retrain: { epochs: \"${epochs}\" }\n";
        var yaml = FixedStrategy.Write(text, new OrderedSettings { { "ratio", 0.93 }, { "epochs", 1L } }, "Found by a test.\nSecond line.");
        Assert.StartsWith("# Found by a test.\n# Second line.\n", yaml);
        Assert.DoesNotContain("search", yaml);
        var path = Path.Combine(TestPaths.NewTempFolder(), "fixed.yaml");
        File.WriteAllText(path, yaml);
        var plan = StrategyPlan.Load(path);
        Assert.Null(plan.Document.Search);
        Assert.Equal(0.93, plan.Steps[0].Settings["ratio"]);
        Assert.Equal(1L, plan.Steps[1].Settings["epochs"]);
    }
}
