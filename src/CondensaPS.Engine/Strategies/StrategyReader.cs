using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Reads a strategy file with YamlDotNet's representation model (which keeps the line and column of every node)
/// and checks its shape: version 1, a name, an optional description, optional parameters with defaults, an optional
/// search section (<see cref="SearchSectionReader"/>), and a non-empty list of steps, each a one-key mapping from the step name to its settings.
/// </summary>
public static class StrategyReader
{
    public const int CurrentVersion = 1;

    public static readonly IReadOnlyList<string> TopLevelKeys = new[] { "version", "name", "description", "parameters", "search", "steps" };

    public static StrategyDocument Read(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new StrategyException("StrategyNotFound", full, 0, 0, "the strategy file does not exist.");
        return Parse(File.ReadAllText(full), full);
    }

    public static StrategyDocument Parse(string text, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new StrategyException("StrategySyntax", file, e.Start.Line, e.Start.Column, $"not valid YAML: {Inner(e).Message}", inner: e);
        }
        if (stream.Documents.Count != 1)
            throw new StrategyException("StrategyInvalid", file, 1, 1, stream.Documents.Count == 0 ? "the file is empty." : "a strategy file holds one YAML document.");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Invalid(file, stream.Documents[0].RootNode, "a strategy is a mapping with version, name and steps.");

        YamlNode? versionNode = null, nameNode = null, descriptionNode = null, parametersNode = null, searchNode = null, stepsNode = null;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ScalarText(file, keyNode, "a key");
            switch (key)
            {
                case "version": versionNode = value; break;
                case "name": nameNode = value; break;
                case "description": descriptionNode = value; break;
                case "parameters": parametersNode = value; break;
                case "search": searchNode = value; break;
                case "steps": stepsNode = value; break;
                default:
                    throw new StrategyException("StrategyInvalid", file, keyNode.Start.Line, keyNode.Start.Column,
                        $"unknown key '{key}'; a strategy has: {string.Join(", ", TopLevelKeys)}.", key);
            }
        }

        if (versionNode is null)
            throw new StrategyException("StrategyVersion", file, root.Start.Line, root.Start.Column, $"'version' is missing; this release reads version {CurrentVersion}.");
        if (versionNode is not YamlScalarNode vs || YamlScalars.Read(vs) is not long version || version != CurrentVersion)
            throw new StrategyException("StrategyVersion", file, versionNode.Start.Line, versionNode.Start.Column,
                $"version {YamlScalars.Describe(versionNode)} is not supported; this release reads version {CurrentVersion}.");

        if (nameNode is null)
            throw Invalid(file, root, "'name' is missing.");
        var name = StringValue(file, nameNode, "name");
        var description = descriptionNode is null ? null : StringValue(file, descriptionNode, "description");

        var parameters = new List<StrategyParameter>();
        if (parametersNode is YamlMappingNode pm)
        {
            foreach (var (keyNode, value) in pm.Children)
            {
                var pname = ScalarText(file, keyNode, "a parameter name");
                if (!System.Text.RegularExpressions.Regex.IsMatch(pname, "^[A-Za-z_][A-Za-z0-9_-]*$"))
                    throw Invalid(file, keyNode, $"'{pname}' is not a parameter name (letters, digits, '_' and '-').");
                parameters.Add(new StrategyParameter(pname, StrategyValues.Literal(file, value), keyNode.Start));
            }
        }
        else if (parametersNode is not null && !(parametersNode is YamlScalarNode ps && YamlScalars.Read(ps) is null))
            throw Invalid(file, parametersNode, $"'parameters' must be a mapping of names to default values, not {YamlScalars.Describe(parametersNode)}.");

        if (stepsNode is null)
            throw Invalid(file, root, "'steps' is missing.");
        if (stepsNode is not YamlSequenceNode stepList || stepList.Children.Count == 0)
            throw Invalid(file, stepsNode, "'steps' must be a non-empty list, e.g. '- prune: { ratio: 0.8 }'.");
        var steps = new List<StrategyStep>();
        foreach (var stepNode in stepList.Children)
        {
            if (stepNode is not YamlMappingNode sm || sm.Children.Count != 1)
                throw Invalid(file, stepNode, "each step is a mapping with one key, the step name, e.g. '- prune: { ratio: 0.8 }'.");
            var (stepKey, settingsNode) = sm.Children.First();
            var stepName = ScalarText(file, stepKey, "a step name");
            var settings = new List<StrategySetting>();
            if (settingsNode is YamlMappingNode settingsMap)
            {
                foreach (var (k, v) in settingsMap.Children)
                    settings.Add(new StrategySetting(ScalarText(file, k, "a setting name"), k.Start, v));
            }
            else if (!(settingsNode is YamlScalarNode empty && YamlScalars.Read(empty) is null))
                throw Invalid(file, settingsNode, $"the settings of step '{stepName}' must be a mapping, not {YamlScalars.Describe(settingsNode)}.");
            steps.Add(new StrategyStep(stepName, stepKey.Start, settings));
        }

        var search = searchNode is null ? null : SearchSectionReader.Read(file, searchNode, parameters);

        return new StrategyDocument
        {
            Path = file,
            Version = CurrentVersion,
            Name = name,
            Description = description,
            Parameters = parameters,
            Steps = steps,
            Search = search,
            SearchMark = searchNode?.Start,
            ParametersMark = parametersNode?.Start ?? root.Start,
        };
    }

    internal static StrategyException Invalid(string file, YamlNode node, string message) =>
        new("StrategyInvalid", file, node.Start.Line, node.Start.Column, message);

    private static string ScalarText(string file, YamlNode node, string what) =>
        node is YamlScalarNode s && s.Value is { Length: > 0 } v ? v : throw Invalid(file, node, $"expected {what}, got {YamlScalars.Describe(node)}.");

    private static string StringValue(string file, YamlNode node, string key) =>
        node is YamlScalarNode s && YamlScalars.Read(s) is string v && v.Length > 0
            ? v : throw Invalid(file, node, $"'{key}' must be a text, not {YamlScalars.Describe(node)}.");

    private static Exception Inner(Exception e) => e.InnerException is YamlException inner ? Inner(inner) : e;
}
