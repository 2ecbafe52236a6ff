using System.Text;
using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CondensaPS.HelpBuilder;

/// <summary>
/// Reads a cmdlet page in platyPS's markdown schema: # Name, then ## SYNOPSIS, SYNTAX (### set, fenced syntax),
/// DESCRIPTION, EXAMPLES (### title, fenced code, remarks), PARAMETERS (### -Name, description, fenced yaml),
/// INPUTS, OUTPUTS (### type, text), NOTES and RELATED LINKS. Anything else is an error naming file and line.
/// </summary>
public static class CmdletPageReader
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    public static CmdletPage Read(string path) => Parse(File.ReadAllText(path), path);

    public static CmdletPage Parse(string markdown, string path)
    {
        var page = new CmdletPage { Path = path };
        var doc = Markdown.Parse(markdown, Pipeline);
        string? section = null;
        HelpExample? example = null;
        HelpParameter? parameter = null;
        (string Type, List<string> Text)? typeNote = null;
        List<TypeNote>? typeNotes = null;
        string? syntaxSet = null;

        void FlushTypeNote()
        {
            if (typeNote is { } t) typeNotes!.Add(new TypeNote(t.Type, t.Text));
            typeNote = null;
        }

        foreach (var block in doc)
        {
            switch (block)
            {
                case YamlFrontMatterBlock:
                    continue;
                case HeadingBlock { Level: 1 } h:
                    page.Name = Text(h.Inline).Trim();
                    continue;
                case HeadingBlock { Level: 2 } h:
                    FlushTypeNote();
                    section = Text(h.Inline).Trim().ToUpperInvariant();
                    example = null; parameter = null; syntaxSet = null;
                    typeNotes = section switch { "INPUTS" => page.Inputs, "OUTPUTS" => page.Outputs, _ => null };
                    if (section is not ("SYNOPSIS" or "SYNTAX" or "DESCRIPTION" or "EXAMPLES" or "PARAMETERS" or "INPUTS" or "OUTPUTS" or "NOTES" or "RELATED LINKS"))
                        throw Error(path, h, $"unknown section '## {section}'");
                    continue;
                case HeadingBlock { Level: 3 } h:
                    var title = Text(h.Inline).Trim();
                    switch (section)
                    {
                        case "SYNTAX": syntaxSet = title; break;
                        case "EXAMPLES": example = new HelpExample { Title = title }; page.Examples.Add(example); break;
                        case "PARAMETERS":
                            if (title == "CommonParameters") { parameter = null; break; }
                            if (!title.StartsWith('-')) throw Error(path, h, $"a parameter heading is '### -Name', not '### {title}'");
                            parameter = new HelpParameter { Name = title[1..] };
                            page.Parameters.Add(parameter);
                            break;
                        case "INPUTS" or "OUTPUTS":
                            FlushTypeNote();
                            typeNote = (title, new List<string>());
                            break;
                        default: throw Error(path, h, $"'### {title}' has no place under ## {section}");
                    }
                    continue;
                case HeadingBlock h:
                    throw Error(path, h, "only #, ## and ### headings belong in a cmdlet page");
                case FencedCodeBlock code:
                    var body = CodeText(code);
                    switch (section)
                    {
                        case "SYNTAX" when syntaxSet != null:
                            var isDefault = syntaxSet.EndsWith("(Default)", StringComparison.Ordinal);
                            var set = isDefault ? syntaxSet[..^"(Default)".Length].Trim() : syntaxSet;
                            page.Syntax.Add(new SyntaxBlock(set, isDefault, body.Trim()));
                            break;
                        case "EXAMPLES" when example != null:
                            if (example.Code.Length > 0) throw Error(path, code, $"example '{example.Title}' has a second code block");
                            example.Code = body.TrimEnd();
                            break;
                        case "PARAMETERS" when parameter != null:
                            parameter.Metadata.Add(ReadYaml(path, code, body));
                            break;
                        default:
                            throw Error(path, code, $"a code block has no place here (under ## {section})");
                    }
                    continue;
            }

            foreach (var para in Paragraphs(block))
            {
                switch (section)
                {
                    case "SYNOPSIS": page.Synopsis.Add(para); break;
                    case "DESCRIPTION": page.Description.Add(para); break;
                    case "EXAMPLES" when example != null: example.Remarks.Add(para); break;
                    case "PARAMETERS" when parameter != null: parameter.Description.Add(para); break;
                    case "PARAMETERS": break;   // the CommonParameters paragraph
                    case "INPUTS" or "OUTPUTS" when typeNote != null: typeNote.Value.Text.Add(para); break;
                    case "NOTES": page.Notes.Add(para); break;
                    case "RELATED LINKS": page.Links.AddRange(Links(block)); break;
                    default: throw Error(path, block, $"text has no place here (under ## {section ?? "no section"})");
                }
            }
        }
        FlushTypeNote();
        if (page.Name.Length == 0) throw new HelpPageException($"{path}: no '# Verb-Noun' heading");
        return page;
    }

    private static ParameterMetadata ReadYaml(string path, FencedCodeBlock code, string body)
    {
        var meta = new ParameterMetadata();
        foreach (var raw in body.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon < 0) throw Error(path, code, $"'{line}' is not 'Key: value'");
            meta.Fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        if (meta.Type.Length == 0) throw Error(path, code, "the parameter's yaml block has no Type");
        return meta;
    }

    /// <summary>The paragraphs of a block: a paragraph's text, or each item of a list, or a quote's paragraphs.</summary>
    private static IEnumerable<string> Paragraphs(Block block)
    {
        switch (block)
        {
            case ParagraphBlock p:
                yield return Text(p.Inline).Trim();
                break;
            case ListBlock list:
                var n = 1;
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var text = string.Join(" ", item.SelectMany(Paragraphs));
                    yield return (list.IsOrdered ? $"{n++}. " : "- ") + text;
                }
                break;
            case ContainerBlock container:
                foreach (var child in container)
                    foreach (var para in Paragraphs(child)) yield return para;
                break;
            case ThematicBreakBlock:
                break;
            case LeafBlock leaf when leaf.Lines.Count > 0:
                yield return leaf.Lines.ToString().Trim();
                break;
        }
    }

    private static IEnumerable<HelpLink> Links(Block block)
    {
        foreach (var inline in (block as ParagraphBlock)?.Inline?.Descendants<LinkInline>() ?? Enumerable.Empty<LinkInline>())
            yield return new HelpLink(Text(inline), inline.Url ?? "");
        if (block is ListBlock list)
            foreach (var item in list.OfType<ListItemBlock>())
                foreach (var child in item)
                    foreach (var link in Links(child)) yield return link;
    }

    /// <summary>Inline markdown as plain text: code spans and emphasis lose their marks, soft line breaks become spaces.</summary>
    public static string Text(ContainerInline? inline)
    {
        var sb = new StringBuilder();
        void Walk(Inline? i)
        {
            for (; i != null; i = i.NextSibling)
            {
                switch (i)
                {
                    case LiteralInline l: sb.Append(l.Content.ToString()); break;
                    case CodeInline c: sb.Append(c.Content); break;
                    case LineBreakInline b: sb.Append(b.IsHard ? "\n" : " "); break;
                    case AutolinkInline a: sb.Append(a.Url); break;
                    case HtmlEntityInline e: sb.Append(e.Transcoded.ToString()); break;
                    case HtmlInline h: sb.Append(h.Tag); break;
                    case ContainerInline c: Walk(c.FirstChild); break;
                }
            }
        }
        Walk(inline?.FirstChild);
        return sb.ToString();
    }

    private static string CodeText(FencedCodeBlock code) =>
        string.Join("\n", code.Lines.Lines.Take(code.Lines.Count).Select(l => l.Slice.ToString()));

    private static HelpPageException Error(string path, Block block, string message) =>
        new($"{path}:{block.Line + 1}: {message}");
}

public sealed class HelpPageException(string message) : Exception(message);
