using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// The layout of the Pester suites, which tests/CondensaPS.Pester.Tests runs in real pwsh: one
/// tests/&lt;Verb-Noun&gt;.Tests.ps1 per exported cmdlet (plus the module-wide suites below), each parses, calls only
/// cmdlets the module exports, and skips nothing, except a test that gives its reason at discovery.
/// </summary>
[Collection(ModuleCollection.Name)]
public class PesterSuiteTests
{
    /// <summary>Suites that are about the module as a whole rather than one cmdlet.</summary>
    private static readonly string[] ModuleSuites = { "CondensaPS.Tests.ps1", "Examples.Tests.ps1", "Help.Tests.ps1", "Package.Tests.ps1" };

    private readonly ModuleSession _m;
    public PesterSuiteTests(ModuleSession m) => _m = m;

    public static IEnumerable<object[]> Suites() =>
        Directory.GetFiles(Path.Combine(FindRoot(), "tests"), "*.Tests.ps1").Select(f => new object[] { Path.GetFileName(f) });

    private HashSet<string> Exported() =>
        _m.Run("(Get-Module CondensaPS).ExportedCmdlets.Keys").Output.Select(o => o.ToString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Every_exported_cmdlet_has_its_own_Pester_suite_that_calls_it()
    {
        var missing = new List<string>();
        foreach (var cmdlet in Exported().Order())
        {
            var path = Path.Combine(_m.RepoRoot, "tests", cmdlet + ".Tests.ps1");
            if (!File.Exists(path))
                missing.Add($"{cmdlet}: add tests/{cmdlet}.Tests.ps1 (shape: tests/New-Model.Tests.ps1; dot-source tests/Pester.Helpers.ps1 in BeforeAll)");
            else if (!Regex.IsMatch(File.ReadAllText(path), $@"\b{Regex.Escape(cmdlet)}\b", RegexOptions.IgnoreCase))
                missing.Add($"{cmdlet}: tests/{cmdlet}.Tests.ps1 never calls {cmdlet}");
        }
        Assert.True(missing.Count == 0, "Cmdlets without their Pester suite:\n" + string.Join("\n", missing));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Suite_is_named_for_an_exported_cmdlet_or_the_module(string file)
    {
        var cmdlet = file[..^".Tests.ps1".Length];
        Assert.True(ModuleSuites.Contains(file) || Exported().Contains(cmdlet),
            $"tests/{file}: a Pester suite is named tests/<Verb-Noun>.Tests.ps1 for an exported cmdlet, or is one of {string.Join(", ", ModuleSuites)}; " +
            $"'{cmdlet}' is not exported (add it to CmdletsToExport in module/CondensaPS.psd1, or move these tests to the suite of the cmdlet they test).");
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Suite_parses_and_calls_only_exported_cmdlets(string file)
    {
        var path = Path.Combine(_m.RepoRoot, "tests", file);
        Parser.ParseFile(path, out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{file}:{e.Extent.StartLineNumber}: {e.Message}")));
        var exported = Exported();
        var nouns = exported.Select(c => c[(c.IndexOf('-') + 1)..]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // Commands and script text passed to other runspaces alike: every Verb-Noun with one of our nouns must exist.
        var called = Regex.Matches(File.ReadAllText(path), @"\b[A-Z][a-z]+-([A-Za-z]+)\b")
            .Where(m => nouns.Contains(m.Groups[1].Value)).Select(m => m.Value).Distinct().ToList();
        Assert.All(called, n => Assert.True(exported.Contains(n), $"tests/{file} calls {n}, which the module does not export"));
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void Suite_skips_nothing(string file)
    {
        var ast = Parser.ParseFile(Path.Combine(_m.RepoRoot, "tests", file), out _, out _);
        var skips = ast.FindAll(a => a is CommandAst, true).Cast<CommandAst>()
            .Where(c => c.GetCommandName() is "It" or "Describe" or "Context" or "Set-ItResult" &&
                        c.CommandElements.OfType<CommandParameterAst>().Any(p => p.ParameterName is "Skip" or "Skipped" or "Pending" or "Inconclusive") &&
                        !SkipsWithAReason(c))
            .Select(c => $"tests/{file}:{c.Extent.StartLineNumber}: {c.Extent.Text.Split('\n')[0].Trim()}").ToList();
        Assert.True(skips.Count == 0, "The Pester run fails on a skipped test; make these run instead, or give the reason at discovery " +
            "(It '...' -Skip:$cond -ForEach @(@{ SkipReason = '...' }), as the Slurm test does):\n" + string.Join("\n", skips));
    }

    /// <summary>
    /// An It skipped on a condition whose -ForEach data names the reason (SkipReason): tests/Invoke-PesterSuites.ps1
    /// reports it skipped with that reason instead of failing it, and so does tests/CondensaPS.Pester.Tests.
    /// </summary>
    private static bool SkipsWithAReason(CommandAst it)
    {
        if (it.GetCommandName() != "It") return false;
        var elements = it.CommandElements;
        var skip = elements.OfType<CommandParameterAst>().Single(p => p.ParameterName == "Skip");
        if (skip.Argument is null) return false;   // a plain -Skip skips everywhere
        var forEach = elements.OfType<CommandParameterAst>().FirstOrDefault(p => p.ParameterName is "ForEach" or "TestCases");
        if (forEach is null) return false;
        var index = elements.IndexOf(forEach);
        var data = forEach.Argument ?? (index + 1 < elements.Count ? elements[index + 1] : null);
        return data is not null && data.FindAll(a => a is HashtableAst h &&
            h.KeyValuePairs.Any(kv => kv.Item1 is StringConstantExpressionAst { Value: "SkipReason" }), true).Any();
    }

    [Fact]
    public void Build_script_parses_and_offers_its_three_tasks()
    {
        var ast = Parser.ParseFile(Path.Combine(_m.RepoRoot, "build.ps1"), out _, out var errors);
        Assert.Empty(errors);
        var task = ast.ParamBlock!.Parameters.Single(p => p.Name.VariablePath.UserPath == "Task");
        var validateSet = task.Attributes.OfType<AttributeAst>().Single(a => a.TypeName.Name == "ValidateSet");
        Assert.Equal(new[] { "Build", "Test", "Package" }, validateSet.PositionalArguments.Cast<StringConstantExpressionAst>().Select(s => s.Value));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found");
    }
}
