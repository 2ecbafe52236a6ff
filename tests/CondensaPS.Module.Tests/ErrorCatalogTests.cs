using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// Every ErrorId the module can raise is listed, with its ErrorCategory, in one place:
/// module/en-US/about_CondensaPS_Errors.help.txt (Get-Help about_CondensaPS_Errors). The source is scanned for
/// ErrorIds: a literal followed by its EngineErrorKind (new EngineException("Id", EngineErrorKind.Kind, ...) and any
/// helper written the same way), a Strategy* literal (StrategyException derives its kind from its id), the literal
/// id of a SearchDefinitionException (its kind is fixed), a literal followed by an ErrorCategory (an ErrorRecord
/// built by hand), and a "const string ErrorId" that an ErrorRecord in the same file takes with its ErrorCategory.
/// Categories are the ones the module's ErrorRecords really get, read from the loaded module.
/// </summary>
[Collection(ModuleCollection.Name)]
public partial class ErrorCatalogTests
{
    private const string CatalogPath = "module/en-US/about_CondensaPS_Errors.help.txt";
    private readonly ModuleSession _m;
    public ErrorCatalogTests(ModuleSession m) => _m = m;

    private sealed record Raised(string Id, string Category, string Where);

    [GeneratedRegex(@"""(?<id>[A-Z][A-Za-z0-9]+)""\s*,\s*EngineErrorKind\.(?<kind>\w+)")]
    private static partial Regex WithKind();

    [GeneratedRegex(@"""(?<id>Strategy[A-Z][A-Za-z0-9]*)""\s*,")]
    private static partial Regex StrategyId();

    [GeneratedRegex(@"""(?<id>[A-Z][A-Za-z0-9]+)""\s*,\s*ErrorCategory\.(?<category>\w+)")]
    private static partial Regex WithCategory();

    [GeneratedRegex(@"new\s+SearchDefinitionException\s*\(\s*""(?<id>[A-Z][A-Za-z0-9]+)""")]
    private static partial Regex SearchDefinitionId();

    [GeneratedRegex(@"const\s+string\s+ErrorId\s*=\s*""(?<id>[A-Z][A-Za-z0-9]+)""")]
    private static partial Regex ConstantId();

    [GeneratedRegex(@"\bErrorId\s*,\s*ErrorCategory\.(?<category>\w+)")]
    private static partial Regex ConstantWithCategory();

    [GeneratedRegex(@"new\s+(?<type>EngineException|StrategyException|SearchDefinitionException)\s*\(\s*(?![\s""])(?<arg>[^,)]*)")]
    private static partial Regex NonLiteralId();

    [GeneratedRegex(@"^    (?<id>[A-Z][A-Za-z0-9]+) \((?<categories>[A-Za-z]+(, [A-Za-z]+)*)\)\s*$", RegexOptions.Multiline)]
    private static partial Regex CatalogEntry();

    private IEnumerable<(string RelativePath, string Text)> SourceFiles(params string[] projects) =>
        projects.SelectMany(p => Directory.EnumerateFiles(Path.Combine(_m.RepoRoot, "src", p), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(_m.RepoRoot, f), File.ReadAllText(f)));

    private static string Where(string file, string text, int index) => $"{file}:{text.AsSpan(0, index).Count('\n') + 1}";

    /// <summary>The PowerShell ErrorCategory the module gives an engine error kind (its own mapping, by reflection).</summary>
    private static Func<string, string> CategoryOfKind()
    {
        var assemblies = AppDomain.CurrentDomain.GetAssemblies();
        var engine = assemblies.Single(a => a.GetName().Name == "CondensaPS.Engine");
        var module = assemblies.Single(a => a.GetName().Name == "CondensaPS");
        var kindType = engine.GetType("CondensaPS.Engine.EngineErrorKind", throwOnError: true)!;
        var map = module.GetType("CondensaPS.Infrastructure.ErrorRecords", throwOnError: true)!
            .GetMethod("Category", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
        return kind => map.Invoke(null, new[] { Enum.Parse(kindType, kind) })!.ToString()!;
    }

    /// <summary>The kind a StrategyException with this id gets (it derives the kind from the id).</summary>
    private static string KindOfStrategyId(string id)
    {
        var engine = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "CondensaPS.Engine");
        var type = engine.GetType("CondensaPS.Engine.Strategies.StrategyException", throwOnError: true)!;
        var e = Activator.CreateInstance(type, id, "file", 1L, 1L, "message", null, null)!;
        return type.GetProperty("Kind")!.GetValue(e)!.ToString()!;
    }

    /// <summary>The kind a SearchDefinitionException gets (the same for every id).</summary>
    private static string KindOfSearchDefinitionId(string id)
    {
        var engine = AppDomain.CurrentDomain.GetAssemblies().Single(a => a.GetName().Name == "CondensaPS.Engine");
        var type = engine.GetType("CondensaPS.Engine.Search.SearchDefinitionException", throwOnError: true)!;
        var e = Activator.CreateInstance(type, id, "key", "message", null)!;
        return type.GetProperty("Kind")!.GetValue(e)!.ToString()!;
    }

    private List<Raised> RaisedInSource(List<string> problems)
    {
        _m.Run("Get-CondensaConfiguration | Out-Null").AssertSucceeded(); // the module and its engine are loaded
        var category = CategoryOfKind();
        var raised = new List<Raised>();
        foreach (var (file, text) in SourceFiles("CondensaPS.Engine", "CondensaPS"))
        {
            foreach (Match m in WithKind().Matches(text))
                raised.Add(new Raised(m.Groups["id"].Value, category(m.Groups["kind"].Value), Where(file, text, m.Index)));
            foreach (Match m in StrategyId().Matches(text))
                raised.Add(new Raised(m.Groups["id"].Value, category(KindOfStrategyId(m.Groups["id"].Value)), Where(file, text, m.Index)));
            foreach (Match m in SearchDefinitionId().Matches(text))
                raised.Add(new Raised(m.Groups["id"].Value, category(KindOfSearchDefinitionId(m.Groups["id"].Value)), Where(file, text, m.Index)));
            foreach (Match m in WithCategory().Matches(text))
                raised.Add(new Raised(m.Groups["id"].Value, m.Groups["category"].Value, Where(file, text, m.Index)));
            foreach (Match m in ConstantId().Matches(text))
            {
                var id = m.Groups["id"].Value;
                if (id.StartsWith("Strategy", StringComparison.Ordinal)) continue; // raised through StrategyException, seen above
                var categories = ConstantWithCategory().Matches(text).Select(c => c.Groups["category"].Value).Distinct().ToList();
                if (categories.Count == 0)
                    problems.Add($"{Where(file, text, m.Index)}: the constant ErrorId '{id}' is used by no ErrorRecord in its file with an ErrorCategory; " +
                        "write it as new ErrorRecord(..., ErrorId, ErrorCategory.Category, ...) so the catalog test finds its category.");
                foreach (var c in categories) raised.Add(new Raised(id, c, Where(file, text, m.Index)));
            }
        }
        return raised;
    }

    private Dictionary<string, HashSet<string>> Listed(List<string> problems)
    {
        var text = File.ReadAllText(Path.Combine(_m.RepoRoot, CatalogPath));
        var listed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match m in CatalogEntry().Matches(text))
        {
            var id = m.Groups["id"].Value;
            if (!listed.TryAdd(id, m.Groups["categories"].Value.Split(", ").ToHashSet(StringComparer.Ordinal)))
                problems.Add($"'{id}' is listed twice in {CatalogPath}: keep one entry.");
        }
        return listed;
    }

    [Fact]
    public void Every_ErrorId_in_the_source_is_listed_with_its_category_and_every_listed_one_is_raised()
    {
        var problems = new List<string>();
        var raised = RaisedInSource(problems);
        var listed = Listed(problems);
        Assert.True(raised.Count > 100 && listed.Count > 100, $"the scan found {raised.Count} raising sites and {listed.Count} listed ids");
        foreach (var group in raised.GroupBy(r => r.Id).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var categories = group.Select(r => r.Category).Distinct().Order(StringComparer.Ordinal).ToList();
            var first = group.First();
            if (!listed.TryGetValue(group.Key, out var inCatalog))
            {
                problems.Add($"ErrorId '{group.Key}' is raised at {first.Where} but missing from {CatalogPath}. Add it under the section where it " +
                    $"belongs (READING MODEL FILES, WRITING FILES, STRATEGIES, ...):\n    {group.Key} ({string.Join(", ", categories)})\n        <what it means and what to do>");
                continue;
            }
            foreach (var r in group.Where(r => !inCatalog.Contains(r.Category)))
                problems.Add($"'{group.Key}' is listed as ({string.Join(", ", inCatalog)}) in {CatalogPath}, but {r.Where} raises it as {r.Category}: " +
                    $"make the entry read '{group.Key} ({string.Join(", ", categories)})'.");
            foreach (var extra in inCatalog.Except(categories))
                problems.Add($"'{group.Key}' is listed with category {extra} in {CatalogPath}, which no source raises it with: make the entry read '{group.Key} ({string.Join(", ", categories)})'.");
        }
        foreach (var id in listed.Keys.Except(raised.Select(r => r.Id)).Order(StringComparer.Ordinal))
            problems.Add($"'{id}' is listed in {CatalogPath} but raised nowhere in src/: remove its entry (or raise it with a literal ErrorId).");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ErrorIds_are_literals_so_the_catalog_scan_sees_them()
    {
        var problems = new List<string>();
        foreach (var (file, text) in SourceFiles("CondensaPS.Engine", "CondensaPS"))
            foreach (Match m in NonLiteralId().Matches(text))
                problems.Add($"{Where(file, text, m.Index)}: new {m.Groups["type"].Value}({m.Groups["arg"].Value.Trim()}, ...) takes its ErrorId from a variable; " +
                    "write the ErrorId as a string literal followed by its EngineErrorKind, so the catalog test finds it.");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_catalog_is_a_help_topic_of_the_module()
    {
        var module = Path.Combine(_m.RepoRoot, "out", "CondensaPS", "en-US", "about_CondensaPS_Errors.help.txt");
        Assert.True(File.Exists(module), $"{module} is not in the built module");
        Assert.Equal(File.ReadAllText(Path.Combine(_m.RepoRoot, CatalogPath)), File.ReadAllText(module));
        Assert.Contains("about_CondensaPS_Errors", File.ReadAllText(Path.Combine(_m.RepoRoot, "module", "en-US", "about_CondensaPS.help.txt")));
    }
}
