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
    public void Utility_cmdlets_behave()
    {
        var r = _m.Run("""
            $p = Join-Path '/a' 'b' 'c.txt'
            Write-Host 'hello' 'world'
            Write-Warning 'careful'
            [pscustomobject]@{ Joined = $p; Leaf = (Split-Path $p -Leaf); Parent = (Split-Path $p); Exists = (Test-Path $PSHOME); Missing = (Test-Path '/no/such') }
            """);
        r.AssertSucceeded();
        Assert.Contains("hello world", r.HostText);
        var o = r.Output.Single();
        Assert.Equal("/a/b/c.txt", o.Prop<string>("Joined"));
        Assert.Equal("c.txt", o.Prop<string>("Leaf"));
        Assert.Equal("/a/b", o.Prop<string>("Parent"));
        Assert.True(o.Prop<bool>("Exists"));
        Assert.False(o.Prop<bool>("Missing"));
    }

    [Fact]
    public void Quickstart_example_runs_through_the_host()
    {
        var r = _m.RunFile(Path.Combine(_m.RepoRoot, "examples", "quickstart.ps1"), _m.NewTempFolder());
        r.AssertSucceeded();
        Assert.Contains("Built quickstart: 61706 parameters", r.HostText);
        Assert.Contains("lenet5", r.HostText);
        Assert.Matches(@"Compact file: [\d,]+ bytes against 246,824 dense fp32 bytes", r.HostText);
        Assert.Contains("history: prune (ratio=0.8", r.HostText);
        Assert.Matches(@"Name\s+Architecture\s+Device\s+DType", r.HostText); // rendered through the format view
        Assert.False(r.HostText.Contains((char)27), "colour codes in the log"); // no colour codes in logs
    }
}
