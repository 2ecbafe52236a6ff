using System.Management.Automation;
using System.Management.Automation.Language;
using System.Xml.Linq;
using CondensaPS.HelpBuilder;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// Every exported cmdlet has its help page, docs/en-US/&lt;Verb-Noun&gt;.md (platyPS's schema), which the build compiles
/// into out/CondensaPS/en-US/CondensaPS.dll-Help.xml: a synopsis, a description, at least two examples, the syntax
/// of every parameter set and every parameter with its description and metadata. A failure says what to add or change;
/// a missing page gets a skeleton in TestResults/Help/. tests/Help.Tests.ps1 runs the examples in pwsh.
/// </summary>
[Collection(ModuleCollection.Name)]
public class HelpCoverageTests
{
    private readonly ModuleSession _m;
    public HelpCoverageTests(ModuleSession m) => _m = m;

    public static IEnumerable<object[]> Cmdlets() => ExportedInManifest().Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Help_page_documents_the_cmdlet(string cmdlet)
    {
        var info = (CmdletInfo)_m.Run($"Get-Command {cmdlet} -CommandType Cmdlet").Output.Single().BaseObject;
        var shape = new CmdletHelpShape(info);
        var path = Path.Combine(_m.RepoRoot, "docs", "en-US", cmdlet + ".md");
        if (!File.Exists(path))
        {
            var skeleton = Path.Combine(_m.RepoRoot, "TestResults", "Help", cmdlet + ".md");
            Directory.CreateDirectory(Path.GetDirectoryName(skeleton)!);
            File.WriteAllText(skeleton, shape.Skeleton());
            Assert.Fail($"{cmdlet} has no help page: add docs/en-US/{cmdlet}.md. A skeleton with its syntax and parameters is at " +
                        $"TestResults/Help/{cmdlet}.md (fill in every <...>):\n\n{shape.Skeleton()}");
        }

        CmdletPage page;
        try { page = CmdletPageReader.Read(path); }
        catch (HelpPageException e) { Assert.Fail(e.Message); throw; }

        var problems = new List<string>();
        var doc = $"docs/en-US/{cmdlet}.md";
        if (page.Name != cmdlet) problems.Add($"its heading is '# {page.Name}', not '# {cmdlet}'");
        if (!HasText(page.Synopsis)) problems.Add("## SYNOPSIS needs a sentence");
        if (!HasText(page.Description)) problems.Add("## DESCRIPTION needs text");
        if (page.Examples.Count < 2) problems.Add($"## EXAMPLES needs at least two examples (### Example N: title, a ```powershell block, remarks); it has {page.Examples.Count}");
        foreach (var e in page.Examples.Where(e => e.Code.Length == 0 || e.Code.Contains("<commands", StringComparison.Ordinal)))
            problems.Add($"example '{e.Title}' needs a ```powershell block that runs as it is");

        var syntax = page.Syntax.Select(s => (s.SetName, s.Text)).ToList();
        var expectedSyntax = shape.Syntax.Select(s => (s.Set, s.Text)).ToList();
        if (!syntax.SequenceEqual(expectedSyntax))
            problems.Add($"its SYNTAX is not the cmdlet's; replace the section with:\n{shape.SyntaxSection()}");

        foreach (var (name, blocks) in shape.Parameters)
        {
            var documented = page.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (documented == null)
            {
                problems.Add($"-{name} is not documented; add under ## PARAMETERS:\n{shape.ParameterSection(name)}");
                continue;
            }
            if (!HasText(documented.Description)) problems.Add($"-{name} needs a description under its '### -{name}' heading");
            var expected = blocks.Select(b => Compared(b)).ToList();
            var actual = documented.Metadata.Select(m => Compared(CmdletHelpShape.ComparedKeys.Select(k => (k, m[k])))).ToList();
            if (!actual.SequenceEqual(expected))
                problems.Add($"-{name}'s yaml is not the cmdlet's; make it:\n" + string.Join("\n\n", blocks.Select(CmdletHelpShape.YamlText)) +
                             (documented.Metadata.Count == blocks.Count ? "\n(keep your 'Default value' lines)" : ""));
        }
        foreach (var extra in page.Parameters.Where(p => shape.Parameters.All(x => !x.Name.Equals(p.Name, StringComparison.OrdinalIgnoreCase))))
            problems.Add($"-{extra.Name} is documented but {cmdlet} has no such parameter: remove its section");

        foreach (var t in shape.Inputs.DefaultIfEmpty("None").Where(t => page.Inputs.All(i => i.Type != t)))
            problems.Add($"## INPUTS needs '### {t}'");
        foreach (var t in shape.Outputs.DefaultIfEmpty("None").Where(t => page.Outputs.All(o => o.Type != t)))
            problems.Add($"## OUTPUTS needs '### {t}'");

        Assert.True(problems.Count == 0, $"{doc}:\n- " + string.Join("\n- ", problems));
    }

    [Fact]
    public void Every_help_page_is_for_an_exported_cmdlet()
    {
        var exported = ExportedInManifest().ToHashSet(StringComparer.Ordinal);
        var stale = Directory.GetFiles(Path.Combine(_m.RepoRoot, "docs", "en-US"), "*-*.md")
            .Select(f => Path.GetFileNameWithoutExtension(f)).Where(n => !exported.Contains(n)).ToList();
        Assert.True(stale.Count == 0, "Help pages for cmdlets the module does not export (rename or remove them): " +
                                      string.Join(", ", stale.Select(n => $"docs/en-US/{n}.md")));
    }

    [Fact]
    public void The_build_writes_every_page_into_the_modules_MAML()
    {
        var maml = Path.Combine(_m.RepoRoot, "out", "CondensaPS", "en-US", "CondensaPS.dll-Help.xml");
        Assert.True(File.Exists(maml), $"{maml} is missing: src/CondensaPS's build runs src/CondensaPS.HelpBuilder to write it");
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        var names = XDocument.Load(maml).Descendants(command + "name").Select(e => e.Value).ToHashSet();
        var missing = ExportedInManifest().Where(c => !names.Contains(c)).ToList();
        Assert.True(missing.Count == 0, "Not in the built MAML (rebuild; does the page exist?): " + string.Join(", ", missing));
    }

    [Fact]
    public void About_CondensaPS_covers_every_cmdlet_and_file_format()
    {
        var about = File.ReadAllText(Path.Combine(_m.RepoRoot, "module", "en-US", "about_CondensaPS.help.txt"));
        var formats = _m.Run("[Enum]::GetNames([CondensaPS.Engine.Formats.ModelFileFormat]) + [Enum]::GetNames([CondensaPS.Cmdlets.DatasetFormat])")
            .Output.Select(o => o.ToString()!).Append("YAML").Distinct();
        var missing = ExportedInManifest().Concat(formats).Where(n => !about.Contains(n, StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(missing.Count == 0, "module/en-US/about_CondensaPS.help.txt does not mention: " + string.Join(", ", missing));
    }

    private static bool HasText(IEnumerable<string> paragraphs) =>
        paragraphs.Any(p => p.Trim().Length > 0) && !paragraphs.Any(p => p.TrimStart().StartsWith('<'));

    private static string Compared(IEnumerable<(string Key, string Value)> block)
    {
        var d = block.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        return string.Join("\n", CmdletHelpShape.ComparedKeys.Select(k => $"{k}: {(d.TryGetValue(k, out var v) ? v : "")}"));
    }

    /// <summary>CmdletsToExport of module/CondensaPS.psd1, read without importing the module.</summary>
    private static IEnumerable<string> ExportedInManifest()
    {
        var root = FindRoot();
        var ast = Parser.ParseFile(Path.Combine(root, "module", "CondensaPS.psd1"), out _, out _);
        var table = (HashtableAst)ast.Find(a => a is HashtableAst, false)!;
        var entry = table.KeyValuePairs.Single(kv => kv.Item1 is StringConstantExpressionAst { Value: "CmdletsToExport" });
        return entry.Item2.FindAll(a => a is StringConstantExpressionAst, true).Cast<StringConstantExpressionAst>().Select(s => s.Value).Order(StringComparer.Ordinal).ToList();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found");
    }
}
