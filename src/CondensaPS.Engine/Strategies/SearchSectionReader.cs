using System.Globalization;
using CondensaPS.Engine.Search;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Reads a strategy's <c>search:</c> section, which makes a search a reproducible file:
/// <code>
/// search:
///   parameters:
///     ratio: { min: 0.5, max: 0.99, step: 0.01 }   # step optional
///   constraints: { accuracy-drop: 1.0 }              # and/or mismatch-rate, mismatches-reference-right
///   objective: compact-bytes                         # torchscript-bytes, macs, throughput, latency
///   max-trials: 10                                   # optional
/// </code>
/// The searched parameter must be declared under the strategy's <c>parameters:</c>. Every error is a
/// StrategyInvalidSearch that names the file, line and column of the value at fault.
/// </summary>
public static class SearchSectionReader
{
    public const string ErrorId = "StrategyInvalidSearch";
    public static readonly IReadOnlyList<string> Keys = new[] { "parameters", "constraints", "objective", "max-trials" };
    public static readonly IReadOnlyList<string> RangeKeys = new[] { "min", "max", "step" };

    public static SearchDefinition Read(string file, YamlNode node, IReadOnlyList<StrategyParameter> declared)
    {
        if (node is not YamlMappingNode map)
            throw Error(file, node, $"'search' must be a mapping with {string.Join(", ", Keys)}, not {YamlScalars.Describe(node)}.");
        YamlNode? parametersNode = null, constraintsNode = null, objectiveNode = null, maxTrialsNode = null;
        var marks = new Dictionary<string, YamlNode>(StringComparer.OrdinalIgnoreCase);
        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "parameters": parametersNode = value; break;
                case "constraints": constraintsNode = value; break;
                case "objective": objectiveNode = value; marks["objective"] = value; break;
                case "max-trials": maxTrialsNode = value; marks["max-trials"] = value; break;
                default: throw Error(file, keyNode, $"unknown key '{key}' in 'search'; it takes: {string.Join(", ", Keys)}.");
            }
        }
        if (parametersNode is not YamlMappingNode parameters || parameters.Children.Count == 0)
            throw Error(file, parametersNode ?? map, "'search' needs 'parameters', a mapping from a declared parameter to its range, e.g. 'ratio: { min: 0.5, max: 0.99 }'.");
        if (parameters.Children.Count > 1)
            throw Error(file, parameters.Children.ElementAt(1).Key, "this release searches one parameter (a ratio); give one range under 'search.parameters'.");
        var (nameNode, rangeNode) = parameters.Children.First();
        var name = (nameNode as YamlScalarNode)?.Value ?? "";
        if (!declared.Any(p => p.Name == name))
            throw Error(file, nameNode, $"'{name}' is not a parameter of the strategy; declare it under 'parameters' (declared: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Select(p => p.Name)))}).");
        marks[name + ".min"] = rangeNode;
        if (rangeNode is not YamlMappingNode range)
            throw Error(file, rangeNode, $"the range of '{name}' is a mapping like '{{ min: 0.5, max: 0.99 }}', not {YamlScalars.Describe(rangeNode)}.");
        double? min = null, max = null, step = null;
        foreach (var (keyNode, value) in range.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!RangeKeys.Contains(key)) throw Error(file, keyNode, $"unknown key '{key}' in the range of '{name}'; it takes: {string.Join(", ", RangeKeys)}.");
            marks[name + "." + key] = value;
            var number = Number(file, value, $"'{name}.{key}'");
            switch (key)
            {
                case "min": min = number; break;
                case "max": max = number; break;
                default: step = number; break;
            }
        }
        if (min is null || max is null) throw Error(file, range, $"the range of '{name}' needs both 'min' and 'max'.");

        var constraints = new List<SearchConstraint>();
        if (constraintsNode is YamlMappingNode constraintMap)
        {
            foreach (var (keyNode, value) in constraintMap.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var metric = SearchConstraint.Parse(key)
                    ?? throw Error(file, keyNode, $"unknown constraint '{key}'; constraints: {string.Join(", ", SearchConstraint.Keys)}.");
                marks["constraints." + SearchConstraint.KeyOf(metric)] = value;
                constraints.Add(new SearchConstraint(metric, Number(file, value, $"constraint '{key}'")));
            }
        }
        else if (constraintsNode is not null)
            throw Error(file, constraintsNode, $"'constraints' is a mapping from a metric to its bound, e.g. '{{ accuracy-drop: 1.0 }}', not {YamlScalars.Describe(constraintsNode)}.");

        if (objectiveNode is not YamlScalarNode objectiveScalar || objectiveScalar.Value is not { Length: > 0 } objectiveText)
            throw Error(file, objectiveNode ?? map, $"'search' needs an 'objective': {string.Join(", ", SearchObjective.Keys)}.");
        var objective = SearchObjective.Parse(objectiveText)
            ?? throw Error(file, objectiveNode, $"unknown objective '{objectiveText}'; objectives: {string.Join(", ", SearchObjective.Keys)}.");

        int maxTrials = SearchDefinition.DefaultMaxTrials;
        if (maxTrialsNode is not null)
        {
            if (maxTrialsNode is not YamlScalarNode mt || YamlScalars.Read(mt) is not long count || count > int.MaxValue || count < int.MinValue)
                throw Error(file, maxTrialsNode, $"'max-trials' must be a whole number, not {YamlScalars.Describe(maxTrialsNode)}.");
            maxTrials = (int)count;
        }
        try
        {
            return SearchDefinition.Create(new SearchParameter(name, min.Value, max.Value, step), constraints, new SearchObjective(objective), maxTrials);
        }
        catch (SearchDefinitionException e)
        {
            var at = marks.TryGetValue(e.Key, out var n) ? n : e.Key == "constraints" ? constraintsNode ?? map : map;
            throw new StrategyException("StrategyInvalidSearch", file, at.Start.Line, at.Start.Column, e.Message, e.Target, e);
        }
    }

    private static double Number(string file, YamlNode node, string what) =>
        node is YamlScalarNode s && YamlScalars.Read(s) switch { double d => d, long l => l, _ => (double?)null } is { } v
            ? v
            : throw Error(file, node, $"{what} must be a number, not {YamlScalars.Describe(node)}.");

    private static StrategyException Error(string file, YamlNode node, string message) =>
        new(ErrorId, file, node.Start.Line, node.Start.Column, message);
}
