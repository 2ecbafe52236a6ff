using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// A strategy with its parameters fixed: the same file with the given values as the parameters' defaults and its
/// <c>search:</c> section removed, so that Invoke-CompressionStrategy replays what a search found without being told
/// the values. Comments are not kept (the header says where the file came from).
/// </summary>
public static class FixedStrategy
{
    public static string Write(string strategyText, IReadOnlyDictionary<string, object?> values, string header)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(strategyText));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var searchKey = root.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "search" });
        if (searchKey is not null) root.Children.Remove(searchKey);
        var parametersKey = root.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "parameters" });
        if (parametersKey is null || root.Children[parametersKey] is not YamlMappingNode parameters)
        {
            parameters = new YamlMappingNode();
            if (parametersKey is not null) root.Children.Remove(parametersKey);
            root.Children.Add(new YamlScalarNode("parameters"), parameters);
        }
        foreach (var (name, value) in values)
        {
            var key = parameters.Children.Keys.FirstOrDefault(k => k is YamlScalarNode s && s.Value == name);
            YamlNode node = value is System.Collections.IEnumerable list and not string
                ? new YamlSequenceNode(list.Cast<object?>().Select(YamlScalars.Write)) { Style = YamlDotNet.Core.Events.SequenceStyle.Flow }
                : YamlScalars.Write(value);
            if (key is null) parameters.Children.Add(new YamlScalarNode(name), node);
            else parameters.Children[key] = node;
        }
        var text = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
        var yaml = text.ToString().TrimEnd();
        if (yaml.EndsWith("...", StringComparison.Ordinal)) yaml = yaml[..^3].TrimEnd();
        var comment = string.Concat(header.Split('\n').Select(line => "# " + line.TrimEnd() + "\n"));
        return comment + yaml + "\n";
    }
}
