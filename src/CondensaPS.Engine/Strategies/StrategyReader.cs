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

    public static StrategyDocument Read(string path) => Read(path, StrategyLimits.Current);

    public static StrategyDocument Read(string path, StrategyLimits limits)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new StrategyException("StrategyNotFound", full, 0, 0, "the strategy file does not exist.");
        return Parse(ReadCapped(full, limits), full, limits);
    }

    /// <summary>
    /// The file's text, refused unread when it is over the cap; reading stops one byte past the cap, so a file that
    /// grows or a device that never ends is refused too.
    /// </summary>
    private static string ReadCapped(string full, StrategyLimits limits)
    {
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            if (stream.CanSeek && stream.Length > limits.MaxFileBytes) throw TooLarge(full, stream.Length, limits);
            var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, limits.MaxFileBytes + 1 - buffer.Length))) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > limits.MaxFileBytes) throw TooLarge(full, null, limits);
            }
            buffer.Position = 0;
            using var reader = new StreamReader(buffer, detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StrategyException("StrategyNotReadable", full, 0, 0, $"the strategy file cannot be read: {e.Message}", inner: e);
        }
    }

    private static StrategyException TooLarge(string full, long? bytes, StrategyLimits limits) =>
        new("StrategyTooLarge", full, 1, 1,
            $"the file has {(bytes is long b ? $"{b:N0} bytes" : "more bytes than that")}, over the cap of {limits.MaxFileBytes:N0} bytes for a strategy; " +
            "raise it with Set-CondensaConfiguration -MaxStrategyFileBytes if the file is meant to be this large.");

    public static StrategyDocument Parse(string text, string file) => Parse(text, file, StrategyLimits.Current);

    public static StrategyDocument Parse(string text, string file, StrategyLimits limits)
    {
        var stream = new YamlStream();
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            throw new StrategyException("StrategySyntax", file, e.Start.Line, e.Start.Column, $"not valid YAML: {Inner(e).Message}", inner: e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            var (mark, message) = parser.Describe(e);
            throw new StrategyException("StrategySyntax", file, mark.Line, mark.Column, $"not valid YAML: {message}.", inner: e);
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
        if (stepList.Children.Count > limits.MaxSteps)
        {
            var first = stepList.Children[limits.MaxSteps];
            throw new StrategyException("StrategyTooManySteps", file, first.Start.Line, first.Start.Column,
                $"the strategy has {stepList.Children.Count:N0} steps, over the cap of {limits.MaxSteps:N0}; this is the first step past it. " +
                "Raise the cap with Set-CondensaConfiguration -MaxStrategySteps if the file is meant to be this long.");
        }
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
