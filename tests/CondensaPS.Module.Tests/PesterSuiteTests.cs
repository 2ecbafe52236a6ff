using System.Management.Automation;
using System.Management.Automation.Language;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// The Pester suites under tests/ are run in review with pwsh; here (no pwsh) they are at least parsed, and every
/// CondensaPS cmdlet they call must be one the module exports.
/// </summary>
[Collection(ModuleCollection.Name)]
public class PesterSuiteTests
{
    private readonly ModuleSession _m;
    public PesterSuiteTests(ModuleSession m) => _m = m;

    public static IEnumerable<object[]> Suites() =>
        Directory.GetFiles(Path.Combine(FindRoot(), "tests"), "*.Tests.ps1").Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Suites))]
    public void Suite_parses_and_calls_only_exported_cmdlets(string file)
    {
        var path = Path.Combine(_m.RepoRoot, "tests", file);
        var ast = Parser.ParseFile(path, out _, out var errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{file}:{e.Extent.StartLineNumber}: {e.Message}")));
        var exported = _m.Run("(Get-Module CondensaPS).ExportedCmdlets.Keys").Output.Select(o => o.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var nouns = new[] { "Model", "Dataset", "Strategy", "Mismatch", "ModelLayer", "CondensaConfiguration", "Prune", "Quantize", "LabelPreservingRetrain", "CompressionStrategy" };
        // Commands and script text passed to other runspaces alike: every Verb-Noun of ours must exist.
        var called = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(path), @"\b[A-Z][a-z]+-[A-Za-z]+\b")
            .Select(m => m.Value).Where(n => nouns.Any(noun => n.EndsWith("-" + noun, StringComparison.OrdinalIgnoreCase)))
            .Distinct().ToList();
        Assert.NotEmpty(called);
        Assert.All(called, n => Assert.Contains(n, exported));
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
