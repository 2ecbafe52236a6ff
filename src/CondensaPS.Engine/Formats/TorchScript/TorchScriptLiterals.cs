using System.Globalization;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>Values written as TorchScript source, the way PyTorch prints them.</summary>
public static class TorchScriptLiterals
{
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>A float with 17 significant digits (PyTorch prints 0.1 as 0.10000000000000001) and always a point or exponent.</summary>
    public static string Float(double value)
    {
        var text = value.ToString("G17", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        if (text.Contains('e', StringComparison.Ordinal))
        {
            var mantissa = text[..text.IndexOf('e')];
            return mantissa.Contains('.', StringComparison.Ordinal) ? text : mantissa + ".0" + text[text.IndexOf('e')..];
        }
        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".";
    }

    /// <summary>An int list, as the aten operators take sizes: [3, 3].</summary>
    public static string IntList(IEnumerable<long> values) => "[" + string.Join(", ", values.Select(Int)) + "]";

    /// <summary>An int tuple, as the module constants hold sizes: (3, 3).</summary>
    public static string IntTuple(IEnumerable<long> values)
    {
        var items = values.Select(Int).ToList();
        return items.Count == 1 ? $"({items[0]},)" : "(" + string.Join(", ", items) + ")";
    }

    public static string String(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Whether <paramref name="name"/> can follow <c>self.</c> (otherwise TorchScript uses getattr(self, "name")).</summary>
    public static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
