using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Turns YAML value nodes into step setting values (scalars and lists of scalars) and substitutes ${name}
/// parameter references: a value that is exactly "${name}" takes the parameter's typed value; a reference inside a
/// longer text is replaced by the value's text.
/// </summary>
public static partial class StrategyValues
{
    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex Reference();

    /// <summary>A value without substitution (parameter defaults).</summary>
    public static object? Literal(string file, YamlNode node) => node switch
    {
        YamlScalarNode s => YamlScalars.Read(s),
        YamlSequenceNode list => list.Children.Select(c => c is YamlScalarNode cs
            ? YamlScalars.Read(cs)
            : throw StrategyReader.Invalid(file, c, $"list items must be single values, not {YamlScalars.Describe(c)}.")).ToList(),
        _ => throw StrategyReader.Invalid(file, node, $"expected a value or a list of values, not {YamlScalars.Describe(node)}."),
    };

    /// <summary>A setting value with ${name} references replaced from <paramref name="parameters"/>.</summary>
    public static object? Resolve(string file, YamlNode node, IReadOnlyDictionary<string, object?> parameters) => node switch
    {
        YamlScalarNode s => Substitute(file, s, parameters),
        YamlSequenceNode list => list.Children.Select(c => c is YamlScalarNode cs
            ? Substitute(file, cs, parameters)
            : throw StrategyReader.Invalid(file, c, $"list items must be single values, not {YamlScalars.Describe(c)}.")).ToList(),
        _ => throw StrategyReader.Invalid(file, node, $"expected a value or a list of values, not {YamlScalars.Describe(node)}."),
    };

    private static object? Substitute(string file, YamlScalarNode node, IReadOnlyDictionary<string, object?> parameters)
    {
        var value = YamlScalars.Read(node);
        if (value is not string text || !text.Contains("${", StringComparison.Ordinal)) return value;
        var whole = Reference().Match(text);
        if (whole.Success && whole.Index == 0 && whole.Length == text.Length) return Lookup(file, node, whole.Groups[1].Value, parameters);
        return Reference().Replace(text, m => Text(Lookup(file, node, m.Groups[1].Value, parameters)));
    }

    private static object? Lookup(string file, YamlScalarNode node, string name, IReadOnlyDictionary<string, object?> parameters)
    {
        if (parameters.TryGetValue(name.Trim(), out var value)) return value;
        throw new StrategyException("StrategyUndefinedParameter", file, node.Start.Line, node.Start.Column,
            $"'${{{name}}}' refers to an undefined parameter; declared: {(parameters.Count == 0 ? "none" : string.Join(", ", parameters.Keys))}.", name);
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => string.Join(",", e.Cast<object?>().Select(Text)),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
