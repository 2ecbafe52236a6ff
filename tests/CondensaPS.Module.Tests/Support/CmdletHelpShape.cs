using System.Management.Automation;
using System.Text;

namespace CondensaPS.Module.Tests.Support;

/// <summary>
/// What a cmdlet's help page must say about the cmdlet's own metadata, in platyPS's schema: the SYNTAX block of each
/// parameter set and each parameter's yaml block. The help coverage test compares docs/en-US/&lt;Verb-Noun&gt;.md with
/// this and prints these blocks to paste when they differ; <see cref="Skeleton"/> is a whole page to start from.
/// </summary>
public sealed class CmdletHelpShape
{
    private static readonly HashSet<string> Common = new(Cmdlet.CommonParameters, StringComparer.OrdinalIgnoreCase);

    public CmdletHelpShape(CmdletInfo cmdlet)
    {
        Name = cmdlet.Name;
        Syntax = cmdlet.ParameterSets
            .Select(s => (Set: s.Name, s.IsDefault, Text: $"{cmdlet.Name} {s}"))
            .ToList();
        Parameters = cmdlet.Parameters.Values.Where(p => !Common.Contains(p.Name))
            .Select(p => (p.Name, Blocks: YamlBlocks(p, cmdlet.ParameterSets.Count)))
            .ToList();
        Inputs = cmdlet.Parameters.Values.Where(p => p.ParameterSets.Values.Any(s => s.ValueFromPipeline))
            .Select(p => FullName(p.ParameterType)).Distinct().ToList();
        Outputs = cmdlet.OutputType.Select(t => t.Name).Distinct().ToList();
    }

    public string Name { get; }
    public List<(string Set, bool IsDefault, string Text)> Syntax { get; }
    /// <summary>Each parameter with its yaml blocks (one, or one per group of sets where it differs), as key/value lines.</summary>
    public List<(string Name, List<List<(string Key, string Value)>> Blocks)> Parameters { get; }
    public List<string> Inputs { get; }
    public List<string> Outputs { get; }

    /// <summary>The keys the test compares: all but 'Default value', which the cmdlet's metadata does not know.</summary>
    public static readonly string[] ComparedKeys = { "Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Accept pipeline input", "Accept wildcard characters" };

    public string SyntaxSection()
    {
        var sb = new StringBuilder("## SYNTAX\n");
        foreach (var (set, isDefault, text) in Syntax)
            sb.Append($"\n### {set}{(isDefault && Syntax.Count > 1 ? " (Default)" : "")}\n```\n{text}\n```\n");
        return sb.ToString();
    }

    public static string YamlText(IEnumerable<(string Key, string Value)> block) =>
        "```yaml\n" + string.Join("\n", block.Select(kv => $"{kv.Key}: {kv.Value}".TrimEnd())) + "\n```";

    public string ParameterSection(string name, string description = "<What the parameter does, its default and how it combines with the others.>")
    {
        var p = Parameters.Single(x => x.Name == name);
        return $"### -{name}\n{description}\n\n" + string.Join("\n\n", p.Blocks.Select(YamlText)) + "\n";
    }

    /// <summary>A whole page in platyPS's schema with this cmdlet's syntax and parameters, and places for the text.</summary>
    public string Skeleton()
    {
        var sb = new StringBuilder();
        sb.Append("---\nexternal help file: CondensaPS.dll-Help.xml\nModule Name: CondensaPS\nonline version:\nschema: 2.0.0\n---\n\n");
        sb.Append($"# {Name}\n\n## SYNOPSIS\n<One sentence: what the cmdlet does.>\n\n{SyntaxSection()}\n");
        sb.Append("## DESCRIPTION\n<What it does, how, and what it returns; the decisions a user makes with it.>\n\n## EXAMPLES\n\n");
        for (var i = 1; i <= 2; i++)
            sb.Append($"### Example {i}: <what it shows>\n```powershell\n<commands that run as they are, from a folder holding the repository's data/>\n```\n\n<What it does and what it prints.>\n\n");
        sb.Append("## PARAMETERS\n\n");
        foreach (var (name, _) in Parameters) sb.Append(ParameterSection(name)).Append('\n');
        sb.Append("### CommonParameters\nThis cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, ")
          .Append("-InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable. ")
          .Append("For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).\n\n");
        sb.Append("## INPUTS\n\n");
        foreach (var t in Inputs.DefaultIfEmpty("None")) sb.Append($"### {t}\n<What it takes from the pipeline.>\n\n");
        sb.Append("## OUTPUTS\n\n");
        foreach (var t in Outputs.DefaultIfEmpty("None")) sb.Append($"### {t}\n<What it writes.>\n\n");
        sb.Append("## NOTES\n\n## RELATED LINKS\n\n[about_CondensaPS](about_CondensaPS.help.txt)\n");
        return sb.ToString();
    }

    private static List<List<(string, string)>> YamlBlocks(ParameterMetadata p, int setCount)
    {
        var sets = p.ParameterSets;
        var groups = sets.GroupBy(s => (s.Value.IsMandatory, s.Value.Position, Pipeline(s.Value))).ToList();
        return groups.Select(g =>
        {
            var names = g.Select(s => s.Key).ToList();
            var setText = names.Contains(ParameterAttribute.AllParameterSets) || (groups.Count == 1 && names.Count == setCount && setCount > 1)
                ? "(All)" : string.Join(", ", names);
            return new List<(string, string)>
            {
                ("Type", TypeName(p.ParameterType)),
                ("Parameter Sets", setText),
                ("Aliases", string.Join(", ", p.Aliases)),
                ("Accepted values", string.Join(", ", AcceptedValues(p))),
                ("Required", g.Key.IsMandatory ? "True" : "False"),
                ("Position", g.Key.Position == int.MinValue ? "Named" : g.Key.Position.ToString()),
                ("Default value", "None"),
                ("Accept pipeline input", g.Key.Item3),
                ("Accept wildcard characters", p.Attributes.OfType<SupportsWildcardsAttribute>().Any() ? "True" : "False"),
            }.Where(kv => kv.Item1 != "Accepted values" || kv.Item2.Length > 0).ToList();
        }).ToList();
    }

    private static string Pipeline(ParameterSetMetadata s) => (s.ValueFromPipeline, s.ValueFromPipelineByPropertyName) switch
    {
        (true, true) => "True (ByValue, ByPropertyName)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };

    private static IEnumerable<string> AcceptedValues(ParameterMetadata p)
    {
        var set = p.Attributes.OfType<ValidateSetAttribute>().FirstOrDefault();
        if (set != null) return set.ValidValues;
        var t = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        if (t.IsArray) t = t.GetElementType()!;
        return t.IsEnum ? Enum.GetNames(t) : Enumerable.Empty<string>();
    }

    /// <summary>The type as platyPS writes it: its short name, Nullable and generic arity dropped, [] for arrays.</summary>
    public static string TypeName(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t.IsArray) return TypeName(t.GetElementType()!) + "[]";
        var name = t.Name;
        return name.Contains('`') ? name[..name.IndexOf('`')] : name;
    }

    private static string FullName(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        return t.IsArray ? FullName(t.GetElementType()!) + "[]" : t.FullName ?? t.Name;
    }
}
