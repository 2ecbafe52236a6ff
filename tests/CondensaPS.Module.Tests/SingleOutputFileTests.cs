using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Cmdlets that write one file refuse a second piped model instead of overwriting their own output.</summary>
[Collection(ModuleCollection.Name)]
public class SingleOutputFileTests
{
    private readonly ModuleSession _m;
    public SingleOutputFileTests(ModuleSession m) => _m = m;

    [Theory]
    [InlineData("Export-Model", "two.tsw")]
    [InlineData("Export-Strategy", "two.yaml")]
    public void Two_piped_models_to_one_path_are_an_error(string cmdlet, string file)
    {
        var path = Path.Combine(_m.NewTempFolder(), file);
        var r = _m.Run($"""
            $a = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5
            $b = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
            $a, $b | {cmdlet} -Path '{path}'
            """);
        var e = r.SingleError();
        Assert.Equal($"MultipleModelsToOnePath,CondensaPS.Cmdlets.{cmdlet.Replace("-", "")}Command", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains(cmdlet, e.Exception.Message);
    }
}
