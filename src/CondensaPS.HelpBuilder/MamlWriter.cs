using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace CondensaPS.HelpBuilder;

/// <summary>Writes cmdlet pages as MAML, the XML that Get-Help reads from &lt;module&gt;/en-US/&lt;Assembly&gt;.dll-Help.xml.</summary>
public static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    private static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument Write(IEnumerable<CmdletPage> pages) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), pages.OrderBy(p => p.Name, StringComparer.Ordinal).Select(Command_)));

    private static XElement Command_(CmdletPage page) =>
        new(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", page.Name),
                new XElement(Command + "verb", page.Verb),
                new XElement(Command + "noun", page.Noun),
                Description(page.Synopsis)),
            Description(page.Description),
            new XElement(Command + "syntax", page.Syntax.Select(s => SyntaxItem(page, s))),
            new XElement(Command + "parameters", page.Parameters.Select(p => Parameter(p, p.Metadata.FirstOrDefault() ?? new ParameterMetadata(), inSyntax: false))),
            new XElement(Command + "inputTypes", page.Inputs.Select(t => new XElement(Command + "inputType", TypeElement(t.Type), Description(t.Description)))),
            new XElement(Command + "returnValues", page.Outputs.Select(t => new XElement(Command + "returnValue", TypeElement(t.Type), Description(t.Description)))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(page.Notes))),
            new XElement(Command + "examples", page.Examples.Select(e =>
                new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                    new XElement(Dev + "code", e.Code),
                    new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Command + "relatedLinks", page.Links.Select(l =>
                new XElement(Maml + "navigationLink", new XElement(Maml + "linkText", l.Text), new XElement(Maml + "uri", l.Uri)))));

    /// <summary>A parameter set's syntax: its parameters in the order the SYNTAX block names them.</summary>
    private static XElement SyntaxItem(CmdletPage page, SyntaxBlock syntax)
    {
        var order = Regex.Matches(syntax.Text, @"(?<![\w-])-(\w+)").Select(m => m.Groups[1].Value).ToList();
        var inSet = page.Parameters
            .Select(p => (Parameter: p, Meta: p.Metadata.FirstOrDefault(m => syntax.SetName == "__AllParameterSets" || m.AppliesTo(syntax.SetName))))
            .Where(x => x.Meta != null)
            .OrderBy(x => order.FindIndex(n => n.Equals(x.Parameter.Name, StringComparison.OrdinalIgnoreCase)) is var i && i < 0 ? int.MaxValue : i);
        return new XElement(Command + "syntaxItem",
            new XElement(Maml + "name", page.Name),
            inSet.Select(x => Parameter(x.Parameter, x.Meta!, inSyntax: true)));
    }

    private static XElement Parameter(HelpParameter p, ParameterMetadata meta, bool inSyntax)
    {
        var isSwitch = meta.Type == "SwitchParameter";
        var accepted = meta["Accepted values"].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var position = meta.Position.Equals("Named", StringComparison.OrdinalIgnoreCase) ? "named" : meta.Position;
        return new XElement(Command + "parameter",
            new XAttribute("required", meta.Required ? "true" : "false"),
            new XAttribute("variableLength", meta.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", meta.Wildcards ? "true" : "false"),
            new XAttribute("pipelineInput", meta.PipelineInput),
            new XAttribute("position", position),
            new XAttribute("aliases", meta.Aliases.Count == 0 ? "none" : string.Join(", ", meta.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(p.Description),
            inSyntax && accepted.Length > 0
                ? new XElement(Command + "parameterValueGroup", accepted.Select(v =>
                    new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute(Command + "variableLength", "false"), v)))
                : null,
            inSyntax && isSwitch
                ? null
                : new XElement(Command + "parameterValue", new XAttribute("required", isSwitch ? "false" : "true"),
                    new XAttribute("variableLength", "false"), meta.Type),
            TypeElement(meta.Type),
            new XElement(Dev + "defaultValue", meta.DefaultValue));
    }

    private static XElement TypeElement(string type) =>
        new(Dev + "type", new XElement(Maml + "name", type), new XElement(Maml + "uri"));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));
}
