using CondensaPS.Engine.Search;
using CondensaPS.Engine.Strategies;

namespace CondensaPS.Engine.Tests.Search;

/// <summary>A strategy's search: section, and its bad input: every error names the file, line and column.</summary>
public class SearchSectionTests
{
    private const string Head = "version: 1\nname: s\nparameters:\n  ratio: 0.9\n";
    private const string Steps = "steps:\n  - prune: { ratio: \"${ratio}\" }\n";

    private static StrategyDocument Parse(string search) => StrategyReader.Parse(Head + search + Steps, "/x/s.yaml");

    private static StrategyException Fails(string search)
    {
        var e = Assert.Throws<StrategyException>(() => Parse(search));
        Assert.Equal("StrategyInvalidSearch", e.ErrorId);
        Assert.StartsWith($"/x/s.yaml:{e.Line}:{e.Column}: ", e.Message);
        return e;
    }

    [Fact]
    public void A_search_section_reads_into_a_definition()
    {
        var d = Parse("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.99, step: 0.01 }\n  constraints: { accuracy-drop: 1.0, mismatches-reference-right: 20 }\n  objective: compact-bytes\n  max-trials: 8\n").Search!;
        Assert.Equal(new SearchParameter("ratio", 0.5, 0.99, 0.01), d.Parameter);
        Assert.Equal(new[] { new SearchConstraint(ConstraintMetric.AccuracyDrop, 1.0), new SearchConstraint(ConstraintMetric.MismatchesReferenceRight, 20) }, d.Constraints);
        Assert.Equal(ObjectiveMetric.CompactBytes, d.Objective.Metric);
        Assert.False(d.Objective.Maximize);
        Assert.Equal(8, d.MaxTrials);
        Assert.Equal(50, d.Parameter.Grid().Count);
        Assert.Equal(0.73, d.Parameter.Grid()[23]);
    }

    [Fact]
    public void Defaults_step_and_max_trials()
    {
        var d = Parse("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.99 }\n  constraints: { mismatch-rate: 0.02 }\n  objective: throughput\n").Search!;
        Assert.Equal(0.005, d.Parameter.Step);
        Assert.Equal(SearchDefinition.DefaultMaxTrials, d.MaxTrials);
        Assert.True(d.Objective.Maximize);
        Assert.Equal(0.99, d.Parameter.Grid()[^1]);
    }

    [Fact]
    public void A_strategy_with_a_search_section_still_compiles_and_runs_its_steps()
    {
        var doc = Parse("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.99 }\n  constraints: { accuracy-drop: 1 }\n  objective: compact-bytes\n");
        var plan = StrategyPlan.Compile(doc, new System.Collections.Hashtable { ["ratio"] = 0.7 });
        Assert.Equal(0.7, plan.Steps[0].Settings["ratio"]);
    }

    [Fact]
    public void A_range_outside_0_1_points_at_the_value()
    {
        var e = Fails("search:\n  parameters:\n    ratio: { min: 0.5, max: 1.2 }\n  constraints: { accuracy-drop: 1 }\n  objective: compact-bytes\n");
        Assert.Equal((7L, 29L), (e.Line, e.Column));
        Assert.Contains("outside 0..1", e.Message);
        Assert.Equal(1.2, e.Target);
    }

    [Fact]
    public void A_minimum_above_the_maximum_points_at_the_minimum()
    {
        var e = Fails("search:\n  parameters:\n    ratio: { min: 0.9, max: 0.6 }\n  constraints: { accuracy-drop: 1 }\n  objective: compact-bytes\n");
        Assert.Equal((7L, 19L), (e.Line, e.Column));
        Assert.Contains("above max", e.Message);
    }

    [Fact]
    public void An_unknown_objective_points_at_it_and_lists_the_objectives()
    {
        var e = Fails("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: flops\n");
        Assert.Equal((9L, 14L), (e.Line, e.Column));
        Assert.Contains("unknown objective 'flops'", e.Message);
        Assert.Contains("compact-bytes, torchscript-bytes, macs, throughput, latency", e.Message);
    }

    [Theory]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { top5: 1 }\n  objective: latency\n", 8, 18, "unknown constraint 'top5'")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { mismatch-rate: 2 }\n  objective: latency\n", 8, 33, "above 1")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  objective: latency\n", 6, 3, "at least one constraint")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n", 6, 3, "needs an 'objective'")]
    [InlineData("search:\n  parameters:\n    epochs: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: latency\n", 7, 5, "not a parameter of the strategy")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9, step: 0 }\n  constraints: { accuracy-drop: 1 }\n  objective: latency\n", 7, 40, "step of 'ratio'")]
    [InlineData("search:\n  parameters:\n    ratio: { min: low, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: latency\n", 7, 19, "must be a number")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: latency\n  max-trials: 0\n", 10, 15, "between 1 and")]
    [InlineData("search:\n  parameters:\n    ratio: { min: 0.5, max: 0.9 }\n  constraints: { accuracy-drop: 1 }\n  objective: latency\n  budget: 3\n", 10, 3, "unknown key 'budget'")]
    public void Bad_search_settings_name_file_line_and_column(string search, int line, int column, string message)
    {
        var e = Fails(search);
        Assert.Contains(message, e.Message);
        Assert.Equal((line, column), ((int)e.Line, (int)e.Column));
    }

    [Fact]
    public void The_example_search_strategy_reads_and_compiles()
    {
        var path = Path.Combine(Support.TestPaths.RepoRoot, "examples", "strategies", "search-lenet5-label-preserving.yaml");
        var plan = StrategyPlan.Load(path, new System.Collections.Hashtable { ["ratio"] = 0.93 });
        var d = plan.Document.Search!;
        Assert.Equal(30, d.Parameter.Grid().Count);
        Assert.Equal(new SearchConstraint(ConstraintMetric.AccuracyDrop, 1.0), d.Constraints.Single());
        Assert.Equal(0.93, plan.Steps[0].Settings["ratio"]);
    }
}
