using System.Management.Automation;
using CondensaPS.Host;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

[Collection(ModuleCollection.Name)]
public class HostTests
{
    private readonly ModuleSession _m;
    public HostTests(ModuleSession m) => _m = m;

    [Fact]
    public async Task Help_and_version_print_and_exit_zero()
    {
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(new[] { "--help" }, o, e));
        Assert.Contains("condensa <script.ps1>", o.ToString());
        o = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(new[] { "--version" }, o, e));
        Assert.Matches(@"^condensa \d+\.\d+\.\d+", o.ToString());
        Assert.Equal(2, await CommandLine.RunAsync(Array.Empty<string>(), o, e));
        Assert.Equal(2, await CommandLine.RunAsync(new[] { "/no/such/script.ps1" }, o, e));
    }

    [Fact]
    public async Task A_failing_script_exits_non_zero_and_prints_ErrorId_and_position()
    {
        var dir = _m.NewTempFolder();
        var script = Path.Combine(dir, "fails.ps1");
        File.WriteAllText(script, "Write-Host 'before'\nImport-Model -Path (Join-Path $PSScriptRoot 'missing.pt')\n");
        var o = new StringWriter(); var e = new StringWriter();
        var code = await CommandLine.RunAsync(new[] { script }, o, e);
        Assert.Equal(1, code);
        Assert.Contains("before", o.ToString());
        Assert.Contains("ERROR [ModelFileNotFound,CondensaPS.Cmdlets.ImportModelCommand]", e.ToString());
        Assert.Contains($"at {script}:2:", e.ToString());
    }

    [Fact]
    public async Task Exit_codes_pass_through()
    {
        var dir = _m.NewTempFolder();
        var script = Path.Combine(dir, "exit.ps1");
        File.WriteAllText(script, "param($Code) Write-Output \"code $Code\"; exit $Code\n");
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(3, await CommandLine.RunAsync(new[] { script, "3" }, o, e));
        Assert.Contains("code 3", o.ToString());
    }

    [Fact]
    public async Task Script_arguments_bind_by_name_and_switch_as_with_pwsh_File()
    {
        var dir = _m.NewTempFolder();
        var script = Path.Combine(dir, "params.ps1");
        File.WriteAllText(script, "param([int[]]$Seeds = @(1), [double]$Rate = 0.5, [switch]$Quick, [string]$Name = 'x')\n" +
            "Write-Output (\"seeds={0} rate={1} quick={2} name={3}\" -f ($Seeds -join ','), $Rate, $Quick.IsPresent, $Name)\n");
        async Task<string> Run(params string[] args)
        {
            var o = new StringWriter(); var e = new StringWriter();
            Assert.True(0 == await CommandLine.RunAsync(new[] { script }.Concat(args).ToArray(), o, e), e.ToString());
            return o.ToString().Trim();
        }
        Assert.Equal("seeds=1 rate=0.5 quick=False name=x", await Run());
        Assert.Equal("seeds=1 rate=0.035 quick=True name=x", await Run("-Quick", "-Rate", "0.035"));
        Assert.Equal("seeds=7 rate=0.5 quick=False name=-5", await Run("7", "-Name", "-5"));
        Assert.Equal("seeds=2 rate=0.5 quick=False name=it's", await Run("-Seeds", "2", "-Name", "it's"));
    }

    [Fact]
    public void Scripts_have_the_standard_cmdlets_of_the_PowerShell_SDK()
    {
        var dir = _m.NewTempFolder().Replace("'", "''");
        var r = _m.Run($$"""
            Push-Location '{{dir}}'
            try {
                Set-Location '{{dir}}'
                $m = New-Model lenet5 -Seed 1
                $m | Select-Object Name, Parameters | Export-Csv -Path models.csv
                $csv = Get-Content models.csv
                $json = $m | Select-Object Name, Architecture | ConvertTo-Json -Compress
                $list = $m | Format-List Name, Parameters | Out-String
                $sources = (Get-Command Select-Object, Format-List, Get-Content, Set-Location, Export-Csv, ConvertTo-Json, Write-Host, Join-Path).Source | Sort-Object -Unique
                [pscustomobject]@{ Csv = $csv -join '|'; Json = $json; List = $list; Sources = $sources -join ','; Here = (Get-Location).Path; Joined = Join-Path '/a' 'b' 'c.txt' }
            }
            finally { Pop-Location }
            """);
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("\"Name\",\"Parameters\"|\"lenet5\",\"61706\"", o.Prop<string>("Csv"));
        Assert.Equal("{\"Name\":\"lenet5\",\"Architecture\":\"lenet5\"}", o.Prop<string>("Json"));
        Assert.Matches(@"Parameters\s*:\s*61706", o.Prop<string>("List"));
        Assert.Equal("Microsoft.PowerShell.Management,Microsoft.PowerShell.Utility", o.Prop<string>("Sources"));
        Assert.Equal(dir.Replace("''", "'"), o.Prop<string>("Here"));
        Assert.Equal("/a/b/c.txt", o.Prop<string>("Joined"));
    }

    [Fact]
    public async Task Verbose_and_warning_lines_print_once()
    {
        var dir = _m.NewTempFolder();
        var script = Path.Combine(dir, "streams.ps1");
        File.WriteAllText(script, "Write-Verbose 'a verbose line' -Verbose\nWrite-Warning 'a warning line'\nNew-Model lenet5 -Seed 1 -Verbose:$false | Invoke-Prune -Ratio 0.5 -Verbose | Out-Null\n");
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(new[] { script }, o, e));
        var lines = e.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines, "VERBOSE: a verbose line");
        Assert.Single(lines, "WARNING: a warning line");
        var pruned = lines.Where(l => l.StartsWith("VERBOSE: Pruning ", StringComparison.Ordinal)).ToList();
        Assert.True(pruned.Count == 1, e.ToString());
    }

    [Fact]
    public async Task Errors_point_into_the_users_file_not_a_wrapper()
    {
        var dir = _m.NewTempFolder();
        var script = Path.Combine(dir, "typed.ps1");
        File.WriteAllText(script, "param([int] $Count)\nWrite-Host \"count $Count\"\n\n$model = New-Model -Architecture lenet6\n");
        var o = new StringWriter(); var e = new StringWriter();
        // A bad argument: PowerShell's binder error, with no line of any script to point at.
        Assert.Equal(1, await CommandLine.RunAsync(new[] { script, "-Count", "many" }, o, e));
        Assert.Contains("ERROR [ParameterArgumentTransformationError,typed.ps1]", e.ToString());
        Assert.DoesNotContain("  at ", e.ToString());
        // An error inside the script: its own file, line and column, and $MyInvocation names the file.
        o = new StringWriter(); e = new StringWriter();
        Assert.Equal(1, await CommandLine.RunAsync(new[] { script, "-Count", "2" }, o, e));
        Assert.Contains("count 2", o.ToString());
        Assert.Contains("ERROR [UnknownArchitecture,", e.ToString());
        Assert.Contains($"  at {script}:4:10", e.ToString());
    }

    [Fact]
    public async Task A_strategy_that_retrains_runs_with_data_and_writes_its_output()
    {
        var dir = _m.NewTempFolder();
        var model = Path.Combine(dir, "reference.safetensors");
        _m.Run("New-Model lenet5 -Seed 4 | Export-Model -Path $p", new Dictionary<string, object?> { ["p"] = model }).AssertSucceeded();
        var output = Path.Combine(dir, "pruned.cpz");
        string Mnist(string file) => Path.Combine(_m.RepoRoot, "data", "mnist", file);
        var o = new StringWriter(); var e = new StringWriter();
        var code = await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune95-label-preserving.yaml"),
            "--model", model, "--set", "epochs=1", "--data", Mnist("train-images-idx3-ubyte.gz"), "--validation-data", Mnist("val-images-idx3-ubyte.gz"),
            "--output", output }, o, e);
        Assert.True(code == 0, o + "\n" + e);
        Assert.Contains("Training data: train [Idx, 7,000 x 1x28x28", o.ToString());
        Assert.Contains("retrain (loss=label-preserving", o.ToString());
        Assert.Matches(@"measure \(mismatch=True.*labels differ from the reference\)", o.ToString());
        Assert.Contains("Wrote " + output, o.ToString());
        Assert.True(File.Exists(output));

        // Without data, one error that says so, and nothing after it (no export error, no file).
        File.Delete(output);
        o = new StringWriter(); e = new StringWriter();
        code = await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune95-label-preserving.yaml"),
            "--model", model, "--output", output }, o, e);
        Assert.Equal(1, code);
        var errors = e.ToString().Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, e.ToString());
        Assert.Contains("TrainingDataRequired", errors[0]);
        Assert.False(File.Exists(output));

        // A data path that is not there is a usage problem of its own kind: Import-Dataset says which.
        o = new StringWriter(); e = new StringWriter();
        code = await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune95-label-preserving.yaml"),
            "--model", model, "--data", Path.Combine(dir, "missing-images-idx3-ubyte") }, o, e);
        Assert.Equal(1, code);
        Assert.Contains("ERROR [", e.ToString());
        Assert.Equal(2, await CommandLine.RunAsync(new[] { Path.Combine(_m.RepoRoot, "examples", "strategies", "prune95-label-preserving.yaml"), "--model", model, "--data" }, o, e));
    }

    /// <summary>The quickstart, run once for the tests that read it (it trains for about half a minute).</summary>
    private (RunResult Result, string Folder) Quickstart()
    {
        lock (QuickstartGate)
        {
            if (_quickstart is null)
            {
                var dir = _m.NewTempFolder();
                // Not rendered, so that -PassThru's object comes back; the script writes its table to the host itself.
                _quickstart = (_m.Run("& $quickstart -OutputFolder $quickstartFolder -PassThru", new Dictionary<string, object?>
                {
                    ["quickstart"] = Path.Combine(_m.RepoRoot, "examples", "quickstart.ps1"),
                    ["quickstartFolder"] = dir,
                }), dir);
            }
            return _quickstart.Value;
        }
    }

    private static readonly object QuickstartGate = new();
    private static (RunResult Result, string Folder)? _quickstart;

    private static PSObject Prop(PSObject o, string name) => PSObject.AsPSObject(o.Properties[name].Value);

    [Fact]
    public void Quickstart_example_trains_prunes_recovers_measures_and_exports()
    {
        var (r, dir) = Quickstart();
        r.AssertSucceeded();
        var text = r.HostText;
        Assert.Contains("LeNet-5 on MNIST: 7,000 training digits, 2,000 test digits.", text);
        Assert.Matches(@"Step\s+Sparsity\s+Accuracy\s+Mismatches", text); // one table, readable at a glance
        Assert.Matches(@"recovered \(label-preserving\)\s+89\.\d %\s+9\d\.\d\d %\s+\d+ of 2,000", text);
        Assert.Matches(@"Wrote .*quickstart-lenet5\.pt: [\d,]+ bytes of TorchScript; in PyTorch: torch\.jit\.load\('", text);
        Assert.Matches(@"Wrote .*quickstart-lenet5\.safetensors: [\d,]+ bytes \(float16 [\d,]+; other [\d,]+\), 2\.0x smaller", text);
        Assert.False(text.Contains((char)27), "colour codes in the log");

        var o = r.Output.Last();
        var rows = ((object[])o.Properties["Rows"].Value).Select(PSObject.AsPSObject).ToList();
        PSObject Report(int row) => Prop(rows[row], "Report");
        var reference = Report(1).Prop<double>("ReferenceAccuracy");
        Assert.True(reference > 0.95, $"reference accuracy {reference}");
        int pruned = Report(1).Prop<int>("Mismatches"), recovered = Report(2).Prop<int>("Mismatches"), stored = Report(3).Prop<int>("Mismatches");
        Assert.True(recovered < pruned, $"recovery did not reduce mismatches: {pruned} -> {recovered}");
        Assert.True(Report(2).Prop<double>("CompressedAccuracy") > Report(1).Prop<double>("CompressedAccuracy"));
        Assert.True(stored <= recovered + 2, $"float16 storage changed many labels: {recovered} -> {stored}");
        Assert.Equal("float16", Prop(o, "Final").Prop<string>("DType"));
        var dtypes = _m.Run("[CondensaPS.Engine.Formats.SafeTensorsFile]::ReadHeader($p).Item1.DType | Sort-Object -Unique",
            new Dictionary<string, object?> { ["p"] = Path.Combine(dir, "quickstart-lenet5.safetensors") });
        Assert.Equal(new[] { "F16" }, dtypes.Output.Select(d => d.ToString()));
    }

    [PyTorchFact]
    public void Quickstart_exports_run_in_PyTorch_and_give_the_same_outputs()
    {
        var (r, dir) = Quickstart();
        r.AssertSucceeded();
        var io = Path.Combine(dir, "quick.io.safetensors");
        var written = _m.Run("""
            $io = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read($fixture)
            $y = $quick.Final.Forward($io['input'])
            $pairs = [System.Collections.Generic.List[System.ValueTuple[string, TorchSharp.torch+Tensor]]]::new()
            $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('input', $io['input']))
            $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('output', $y))
            [CondensaPS.Engine.Formats.SafeTensorsFile]::Write($ioPath, $pairs, $null)
            """, new Dictionary<string, object?>
        {
            ["quick"] = r.Output.Last(),
            ["fixture"] = Path.Combine(_m.RepoRoot, "tests", "fixtures", "lenet5.io.safetensors"),
            ["ioPath"] = io,
        });
        written.AssertSucceeded();
        // torch.jit.load runs the TorchScript archive with no model code of ours.
        var (code, output) = PyTorchScript.Run(Path.Combine(_m.RepoRoot, "tests", "fixtures", "check_with_pytorch.py"),
            "torchscript", Path.Combine(dir, "quickstart-lenet5.pt"), io);
        Assert.True(code == 0, output);
        // load_state_dict(strict=True) takes the SafeTensors, float16 tensors and all, into PyTorch's own LeNet-5.
        (code, output) = PyTorchScript.Run(Path.Combine(_m.RepoRoot, "tests", "fixtures", "check_with_pytorch.py"),
            "safetensors", "lenet5", Path.Combine(dir, "quickstart-lenet5.safetensors"), io);
        Assert.True(code == 0, output);
        Assert.Contains("torch.float16", output);
    }
}
