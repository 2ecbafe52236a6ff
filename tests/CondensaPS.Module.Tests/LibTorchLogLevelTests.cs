using System.Text.RegularExpressions;
using CondensaPS.Module.Tests.Support;
using Xunit.Abstractions;

namespace CondensaPS.Module.Tests;

/// <summary>
/// libtorch's own log lines go to the process's stderr, past PowerShell's streams. In a child `condensa` process (the
/// level is read when libtorch loads): by default none reach stderr, even where a batch-of-one convolution makes
/// libtorch warn about NNPACK, and a TORCH_CPP_LOG_LEVEL the user sets reaches libtorch.
/// </summary>
[Collection(ModuleCollection.Name)]
public class LibTorchLogLevelTests
{
    private static readonly Regex LibTorchLogLine = new(@"^\[[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ ", RegexOptions.Multiline);
    private readonly ModuleSession _m;
    private readonly ITestOutputHelper _log;
    public LibTorchLogLevelTests(ModuleSession m, ITestOutputHelper log) { _m = m; _log = log; }

    private (int Code, string Out, string Err) MeasureResNetIn(string work, string? logLevel)
    {
        var script = Path.Combine(work, "measure.ps1");
        var digits = Path.Combine(_m.RepoRoot, "data", "mnist", "train-images-idx3-ubyte.gz");
        // Measure-Mismatch first checks that one sample fits each model: a forward pass of a batch of one, which
        // oneDNN declines for ResNet-18's 3x3 convolutions, so libtorch considers NNPACK for each of them.
        File.WriteAllText(script, $"""
            $d = Import-Dataset '{digits}' -First 16
            $m = New-Model -Architecture resnet18 -NumClasses 10 -InputChannels 1 -Seed 1
            $r = Measure-Mismatch -Reference $m -Compressed ($m | Invoke-Prune -Ratio 0.5) -Data $d
            Write-Host "samples: $($r.Samples)"
            """);
        var environment = new Dictionary<string, string>
        {
            ["CONDENSAPS_MODULE_PATH"] = Path.Combine(_m.RepoRoot, "out", "CondensaPS"),
            ["CONDENSAPS_THREADS"] = "1",
        };
        if (logLevel != null) environment["TORCH_CPP_LOG_LEVEL"] = logLevel;
        // This test process has the variable set (its own natives are loaded): the child must not inherit it.
        var result = ChildProcess.Run(ChildProcess.Dotnet, new[] { ChildProcess.HostDll, script }, environment, "TORCH_CPP_LOG_LEVEL");
        _log.WriteLine($"TORCH_CPP_LOG_LEVEL={logLevel ?? "(unset)"}: exit {result.Code}\n{result.Err}");
        Assert.True(result.Code == 0, $"exit {result.Code}\n{result.Out}\n{result.Err}");
        Assert.Contains("samples: 16", result.Out);
        return result;
    }

    [Fact]
    public void By_default_libtorch_writes_no_log_lines_to_stderr()
    {
        var work = _m.NewTempFolder();
        var (_, _, stderr) = MeasureResNetIn(work, null);
        Assert.DoesNotMatch(LibTorchLogLine, stderr);
    }

    [Fact]
    public void A_log_level_the_user_sets_reaches_libtorch()
    {
        var work = _m.NewTempFolder();
        // libtorch itself answers a value it cannot parse, so this shows it read the user's variable.
        var (_, _, stderr) = MeasureResNetIn(work, "loud");
        Assert.Contains("`TORCH_CPP_LOG_LEVEL` environment variable cannot be parsed", stderr);
        // ERROR (the default) and the user's own ERROR leave stderr as quiet as before.
        Assert.DoesNotMatch(LibTorchLogLine, MeasureResNetIn(work, "error").Err);
    }
}
