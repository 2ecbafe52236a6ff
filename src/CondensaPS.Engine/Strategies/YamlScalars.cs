using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// How strategy scalars are typed: a plain (unquoted) scalar is null, a bool, an integer, a number or a string, as
/// YAML's core schema reads it; a quoted scalar is always a string. The writer quotes a string exactly when a plain
/// scalar would read back as something else, so values round-trip.
/// </summary>
public static class YamlScalars
{
    public static object? Read(YamlScalarNode node) =>
        node.Style is ScalarStyle.Plain or ScalarStyle.Any ? ParsePlain(node.Value ?? "") : node.Value ?? "";

    public static object? ParsePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !text.Contains(',')) return d;
        return text;
    }

    /// <summary>A scalar node for a setting value: numbers in round-trip form, strings quoted when needed.</summary>
    public static YamlScalarNode Write(object? value)
    {
        switch (value)
        {
            case null: return new YamlScalarNode("null");
            case bool b: return new YamlScalarNode(b ? "true" : "false");
            case long or int: return new YamlScalarNode(Convert.ToString(value, CultureInfo.InvariantCulture));
            case double d:
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                if (ParsePlain(text) is not double) text += ".0";
                return new YamlScalarNode(text);
            default:
                var s = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                var node = new YamlScalarNode(s);
                if (ParsePlain(s) is not string || s.Trim() != s || s.Length == 0) node.Style = ScalarStyle.SingleQuoted;
                return node;
        }
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "a value",
    };
}
