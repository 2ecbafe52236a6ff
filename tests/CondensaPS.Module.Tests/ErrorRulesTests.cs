using System.Management.Automation;
using System.Text.RegularExpressions;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// PowerShell's error rules: a failure about one input object is non-terminating (-ErrorAction decides, the next object
/// still runs); a problem with the parameters themselves stops the command whatever -ErrorAction says, as PowerShell's
/// own binding errors do. Each keeps its stable ErrorId and category.
/// </summary>
[Collection(ModuleCollection.Name)]
public class ErrorRulesTests
{
    private readonly ModuleSession _m;
    public ErrorRulesTests(ModuleSession m) => _m = m;

    public static IEnumerable<object[]> PerObjectFailures() => new[]
    {
        new object[] { "New-Model -Architecture lenet6", "UnknownArchitecture,CondensaPS.Cmdlets.NewModelCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Export-Model -Path '/no/such/folder/m.safetensors'", "OutputFolderNotFound,CondensaPS.Cmdlets.ExportModelCommand", ErrorCategory.ObjectNotFound },
        new object[] { "New-Model mlp | Invoke-Prune -Ratio 0.5 -Method Filter", "NothingToPrune,CondensaPS.Cmdlets.InvokePruneCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Invoke-Quantize -Type Int8 -Include 'nothing.*'", "NothingToQuantize,CondensaPS.Cmdlets.InvokeQuantizeCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Measure-Mismatch -Data $errorRulesData", "ReferenceRequired,CondensaPS.Cmdlets.MeasureMismatchCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Export-Strategy -Path (Join-Path ([IO.Path]::GetTempPath()) 'never.yaml')", "HistoryEmpty,CondensaPS.Cmdlets.ExportStrategyCommand", ErrorCategory.InvalidOperation },
        new object[] { "Import-Dataset -Path '/no/such/images-idx3-ubyte' -LabelPath '/no/such/labels-idx1-ubyte'", "DatasetFileNotFound,CondensaPS.Cmdlets.ImportDatasetCommand", ErrorCategory.ObjectNotFound },
        new object[] { "'/no/such/model.pt' | Invoke-CompressionStrategy -Path $errorRulesStrategy", "ModelFileNotFound,CondensaPS.Cmdlets.InvokeCompressionStrategyCommand", ErrorCategory.ObjectNotFound },
        new object[] { "$gone = New-Model lenet5; $gone.Dispose(); $gone | Get-ModelLayer", "ModelDisposed,CondensaPS.Cmdlets.GetModelLayerCommand", ErrorCategory.InvalidOperation },
    };

    [Theory]
    [MemberData(nameof(PerObjectFailures))]
    public void A_failure_about_one_object_is_non_terminating_and_keeps_its_ErrorId(string command, string errorId, ErrorCategory category)
    {
        var r = Run($$"""
            {{command}} -ErrorAction SilentlyContinue -ErrorVariable failed
            'went on'
            [pscustomobject]@{ Count = $failed.Count; Id = $failed[0].FullyQualifiedErrorId; Category = [string]$failed[0].CategoryInfo.Category }
            """);
        r.AssertSucceeded();
        Assert.Equal("went on", r.Output[0].ToString());
        var o = r.Output[1];
        Assert.Equal(1, o.Prop<int>("Count"));
        Assert.Equal(errorId, o.Prop<string>("Id"));
        Assert.Equal(category.ToString(), o.Prop<string>("Category"));
    }

    [Fact]
    public void The_next_piped_model_still_runs_after_one_fails()
    {
        var r = Run("""
            $models = @((New-Model mlp -Seed 1), (New-Model lenet5 -Seed 1))
            $pruned = $models | Invoke-Prune -Ratio 0.5 -Method Filter -ErrorVariable failed -ErrorAction SilentlyContinue
            [pscustomobject]@{ Pruned = @($pruned).Count; Architecture = $pruned.Architecture; Failed = $failed.Count }
            """);
        var o = r.Output.Last();
        Assert.Equal(1, o.Prop<int>("Pruned"));
        Assert.Equal("lenet5", o.Prop<string>("Architecture"));
        Assert.Equal(1, o.Prop<int>("Failed"));
    }

    public static IEnumerable<object[]> ParameterProblems() => new[]
    {
        new object[] { "New-Model lenet5 | Invoke-Prune -Method Magnitude", "RatioRequired,CondensaPS.Cmdlets.InvokePruneCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Invoke-Prune -Ratio 0.5 -Method NM -N 4 -M 2", "InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand", ErrorCategory.InvalidArgument },
        new object[] { "New-Model lenet5 | Export-Model -Path (Join-Path ([IO.Path]::GetTempPath()) 'x.pt') -Format PyTorchStateDict", "FormatNotWritable,CondensaPS.Cmdlets.ExportModelCommand", ErrorCategory.NotImplemented },
        new object[] { "New-Model lenet5 | Invoke-CompressionStrategy -Path $errorRulesBadStrategy", "StrategyUnknownSetting,CondensaPS.Cmdlets.InvokeCompressionStrategyCommand", ErrorCategory.InvalidData },
        new object[] { "Import-Dataset -Path '/no/such/file' -Normalize 0.1,0.2,0.3", "DatasetBadNormalize,CondensaPS.Cmdlets.ImportDatasetCommand", ErrorCategory.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(ParameterProblems))]
    public void A_parameter_problem_stops_the_command_whatever_ErrorAction_says(string command, string errorId, ErrorCategory category)
    {
        var r = Run($$"""
            try { {{command}} -ErrorAction SilentlyContinue; 'not stopped' }
            catch { [pscustomobject]@{ Id = $_.FullyQualifiedErrorId; Category = [string]$_.CategoryInfo.Category } }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(errorId, o.Prop<string>("Id"));
        Assert.Equal(category.ToString(), o.Prop<string>("Category"));
    }

    [Fact]
    public void The_README_spells_enum_values_as_the_enums_do()
    {
        // Every `-Parameter A|B|C` in the README's cmdlet table: when the parameter is an enum, each value is one of
        // its names, spelt the same way (LC is Lc, SGD is Sgd).
        var readme = File.ReadAllLines(Path.Combine(_m.RepoRoot, "README.md"));
        var checkedValues = 0;
        foreach (var row in readme.Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            var cmdlets = Regex.Matches(row.Split('|')[1], @"`([A-Z][a-z]+-[A-Za-z]+)`").Select(m => m.Groups[1].Value).ToList();
            foreach (Match option in Regex.Matches(row, @"`-(?<name>[A-Za-z]+) (?<values>[A-Za-z0-9]+(?:\\\|[A-Za-z0-9]+)+)"))
            {
                var values = option.Groups["values"].Value.Split(@"\|");
                foreach (var cmdlet in cmdlets)
                {
                    var type = _m.Run($"(Get-Command {cmdlet}).Parameters['{option.Groups["name"].Value}'].ParameterType.FullName").Output.SingleOrDefault()?.ToString();
                    if (type is null) continue;
                    var names = _m.Run($"[Enum]::GetNames([{type}])").Output.Select(o => o.ToString()).ToList();
                    if (names.Count == 0) continue;
                    foreach (var value in values)
                    {
                        Assert.True(names.Contains(value), $"README: {cmdlet} -{option.Groups["name"].Value} {value}, but the enum {type} has {string.Join(", ", names)}");
                        checkedValues++;
                    }
                }
            }
        }
        Assert.True(checkedValues >= 8, $"only {checkedValues} enum values found in the README's table");
    }

    private RunResult Run(string script)
    {
        var dir = _m.NewTempFolder();
        var strategy = Path.Combine(dir, "ok.yaml");
        File.WriteAllText(strategy, "version: 1\nname: ok\nsteps:\n  - prune: { ratio: 0.5 }\n");
        var bad = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(bad, "version: 1\nname: bad\nsteps:\n  - prune: { ratio: 0.5, raito: 0.4 }\n");
        var setup = _m.Run("$errorRulesData = Import-Dataset $p -First 16", new Dictionary<string, object?>
        {
            ["p"] = Path.Combine(_m.RepoRoot, "data", "mnist", "val-images-idx3-ubyte.gz"),
            ["errorRulesStrategy"] = strategy,
            ["errorRulesBadStrategy"] = bad,
        });
        setup.AssertSucceeded();
        return _m.Run(script);
    }
}
