namespace CondensaPS.Pester.Tests;

/// <summary>
/// Every Pester test under tests/*.Tests.ps1, run in real pwsh 7.6.9 with Pester 5.9.1, as its own result here. A
/// failed or skipped Pester test fails, with its file, line, name, error and the command that runs it alone. The one
/// exception is a test that its file skips at discovery with a reason (It -Skip:$cond -ForEach @(@{ SkipReason = ... }),
/// the Slurm search on a box without a cluster): it is reported skipped here too, with that reason. The whole run's output is in TestResults/Pester/pester.log, JUnit XML in TestResults/Pester/.
/// </summary>
public sealed class PesterSuites : IClassFixture<PesterRun>
{
    internal static readonly Lazy<PesterReport> Discovered = new(PesterProcess.Discover);
    private readonly PesterRun _run;

    public PesterSuites(PesterRun run) => _run = run;

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var c in Discovered.Value.Containers) data.Add(c.File);
        return data;
    }

    [Theory]
    [PesterTests(skippedForAReason: false)]
    [PesterTests(skippedForAReason: true)]
    public void Passes(PesterCase test)
    {
        var report = _run.Report;
        var t = report.Tests.FirstOrDefault(x => x.Id == test.Id);
        Assert.True(t != null,
            $"Pester never ran '{test}': pwsh {report.Exit}. Its output (TestResults/Pester/pester.log) ends:\n{PesterProcess.Tail(report.Output)}");
        if (t!.Result == "Passed") return;
        var what = t.Result == "Skipped" ? "was skipped (no Pester test may be skipped: remove -Skip or make it pass)" : t.Result.ToLowerInvariant();
        Assert.Fail($"Pester test {what}: tests/{t.File}:{t.Line}\n{t.Name}\n{t.Error}\n" +
            $"Run it alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/{t.File} -FullName '{t.Filter.Replace("'", "''")}'");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void File_runs_to_the_end(string file)
    {
        var report = _run.Report;
        var container = report.Containers.FirstOrDefault(c => c.File == file);
        Assert.True(container != null, $"Pester did not run tests/{file}: pwsh {report.Exit}. Its output ends:\n{PesterProcess.Tail(report.Output)}");
        // A failing test fails its file too; this checks what fails around the tests (parse errors, BeforeAll, AfterAll).
        Assert.True(string.IsNullOrEmpty(container!.Error) && container.Result is "Passed" or "Failed",
            $"tests/{file} {container.Result.ToLowerInvariant()}: {container.Error}\nRun it alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/{file}");
        var unexpected = report.Tests.Where(t => t.File == file).Select(t => t.Id)
            .Except(Discovered.Value.Tests.Select(t => t.Id)).ToList();
        Assert.True(unexpected.Count == 0, $"tests/{file} ran tests that discovery did not list:\n{string.Join('\n', unexpected)}");
    }
}
