using System.Diagnostics;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>
/// What a user sees when the disk fills, the target is not a file, Ctrl+C or SIGINT arrives mid-export, or a strategy
/// file is too large: an ErrorId, the old file or none, and no temp file left behind.
/// </summary>
[Collection(ModuleCollection.Name)]
public class ReliabilityCmdletTests
{
    private readonly ModuleSession _m;
    public ReliabilityCmdletTests(ModuleSession m) => _m = m;

    private string Fixture(string name) => Path.Combine(_m.RepoRoot, "tests", "fixtures", name);

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    private static string[] TempFiles(string dir) => Directory.GetFiles(dir, ".*.tmp");

    [TmpfsFact]
    public void Disk_full_during_a_TorchScript_export_is_an_error_and_the_process_lives()
    {
        using var small = Tmpfs.Mount(64 * 1024);
        var script = Path.Combine(_m.NewTempFolder(), "export.ps1");
        File.WriteAllText(script, $"Import-Model {Quote(Fixture("lenet5_scripted.pt"))} | Export-Model -Path {Quote(Path.Combine(small.Path, "new.pt"))}\nWrite-Output 'still here'\n");
        var (code, output, error) = ChildProcess.Run(ChildProcess.Dotnet, new[] { ChildProcess.HostDll, script }, new Dictionary<string, string>());
        Assert.True(code == 1, $"exit {code}\n{output}\n{error}");
        Assert.Contains("ERROR [OutputDiskFull,CondensaPS.Cmdlets.ExportModelCommand]", error);
        Assert.DoesNotContain("terminate called", error);
        Assert.Empty(Directory.GetFileSystemEntries(small.Path));
        Assert.Equal(0, small.UsedBytes);
    }

    [Fact]
    public void Export_Model_Force_onto_a_FIFO_is_refused_and_the_FIFO_stays()
    {
        var dir = _m.NewTempFolder();
        var fifo = Path.Combine(dir, "pipe.pt");
        Assert.Equal(0, ChildProcess.Run("mkfifo", new[] { fifo }, new Dictionary<string, string>()).Code);
        var r = _m.Run($"New-Model lenet5 | Export-Model -Path {Quote(fifo)} -Format SafeTensors -Force");
        var e = r.SingleError();
        Assert.Equal("OutputNotRegularFile,CondensaPS.Cmdlets.ExportModelCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Equal("p", ChildProcess.Run("find", new[] { fifo, "-maxdepth", "0", "-printf", "%y" }, new Dictionary<string, string>()).Out);
    }

    [Fact]
    public void Ctrl_C_during_an_export_abandons_it_removes_its_temp_file_and_keeps_the_old_target()
    {
        var dir = _m.NewTempFolder();
        var target = Path.Combine(dir, "r50.dat");
        File.WriteAllText(target, "old");
        _m.Run("$stopExportModel = New-Model resnet50 -Seed 1").AssertSucceeded();
        using (var ps = PowerShell.Create(_m.Session.Runspace))
        {
            ps.AddScript($"$stopExportModel | Export-Model -Path {Quote(target)} -Format TorchSharp -Force");
            var async = ps.BeginInvoke();
            var watch = Stopwatch.StartNew();
            while (TempFiles(dir).Length == 0 && !async.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(1);
            Assert.True(TempFiles(dir).Length == 1, "the export's temp file was never seen");
            ps.Stop();
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(async));
        }
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Empty(TempFiles(dir));
        _m.Run("$stopExportModel.Dispose()").AssertSucceeded();
    }

    [Theory]
    [InlineData(HostProcess.SigInt)]
    [InlineData(HostProcess.SigTerm)]
    public void A_signal_to_the_host_during_an_export_removes_its_temp_file_and_keeps_the_old_target(int signal)
    {
        var dir = _m.NewTempFolder();
        var target = Path.Combine(dir, "r50.dat");
        File.WriteAllText(target, "old");
        var script = Path.Combine(dir, "export.ps1");
        File.WriteAllText(script, $"New-Model resnet50 -Seed 1 | Export-Model -Path {Quote(target)} -Format TorchSharp -Force\n");
        using var host = HostProcess.Start(new[] { script });
        Assert.True(host.WaitUntil(() => TempFiles(dir).Length == 1, TimeSpan.FromMinutes(2)), "the export's temp file was never seen");
        // The temp file has just been created; writing and flushing ResNet-50's 100 MB takes far longer than this signal.
        Assert.True(host.Signal(signal), "the host had ended before the signal");
        var (code, output, error) = host.Wait(TimeSpan.FromMinutes(1));
        Assert.Empty(TempFiles(dir));
        Assert.Equal("old", File.ReadAllText(target));
        if (signal == HostProcess.SigInt)
        {
            // Ctrl+C stops the pipeline as pwsh -File does: the export is abandoned, no error, exit 0.
            Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
            Assert.DoesNotContain("ERROR", error);
        }
        else Assert.True(code == 128 + HostProcess.SigTerm, $"exit {code}\n{output}\n{error}");
    }

    [StraceFact]
    public void An_export_flushes_its_temp_file_to_disk_before_the_rename_and_the_folder_after()
    {
        // What makes the rename durable leaves no trace in the files: the system calls show it (strace -y names the
        // file each descriptor is open on). A new file is linked into place, an overwrite (-Force) renamed over it.
        var dir = _m.NewTempFolder();
        var target = Path.Combine(dir, "m.safetensors");
        var script = Path.Combine(_m.NewTempFolder(), "export.ps1");
        File.WriteAllText(script, $"New-Model lenet5 -Seed 1 | Export-Model -Path {Quote(target)}\nNew-Model lenet5 -Seed 2 | Export-Model -Path {Quote(target)} -Force\n");
        var (code, error, calls) = Strace.Run("fsync,fdatasync,rename,renameat,renameat2,link,linkat", ChildProcess.Dotnet, new[] { ChildProcess.HostDll, script });
        Assert.True(code == 0, $"exit {code}\n{error}");
        var placed = calls.Select((line, i) => (line, i))
            .Where(c => Regex.IsMatch(c.line, @"^\d+\s+(rename|renameat2?|linkat?)\(") && c.line.Contains($"\"{target}\"", StringComparison.Ordinal))
            .ToList();
        Assert.True(placed.Count == 2, $"expected the two exports to put '{target}' in place, saw:\n{string.Join("\n", calls)}");
        foreach (var (line, at) in placed)
        {
            var temp = Regex.Match(line, @"""(?<temp>[^""]+/\.m\.safetensors\.[0-9a-f]{32}\.tmp)""").Groups["temp"].Value;
            Assert.True(temp.Length > 0, $"'{line}' does not move one of our temp files into place");
            Assert.True(calls.Take(at).Any(c => Regex.IsMatch(c, $@"^\d+\s+f(data)?sync\(\d+<{Regex.Escape(temp)}>\)\s+= 0")),
                $"'{temp}' was not flushed to disk before '{line}':\n{string.Join("\n", calls)}");
            Assert.True(calls.Skip(at + 1).Any(c => Regex.IsMatch(c, $@"^\d+\s+fsync\(\d+<{Regex.Escape(dir)}>\)\s+= 0")),
                $"the folder '{dir}' was not flushed after '{line}':\n{string.Join("\n", calls)}");
        }
    }

    [Fact]
    public void Strategy_size_caps_are_settings()
    {
        var dir = _m.NewTempFolder();
        var path = Path.Combine(dir, "three.yaml");
        File.WriteAllText(path, "version: 1\nname: three\nsteps:\n  - quantize: { type: float16 }\n  - quantize: { type: float16 }\n  - quantize: { type: float16 }\n");
        try
        {
            var r = _m.Run($"Set-CondensaConfiguration -MaxStrategySteps 2 -PassThru; Test-Strategy -Path {Quote(path)}");
            Assert.Equal(2, r.Output.First().Prop<int>("MaxStrategySteps"));
            var e = r.SingleError();
            Assert.Equal("StrategyTooManySteps", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
            Assert.Contains($"{path}:6:5:", e.Exception.Message);
            r = _m.Run($"Set-CondensaConfiguration -MaxStrategyFileBytes 100; Test-Strategy -Path {Quote(path)}");
            Assert.Equal("StrategyTooLarge", r.SingleError().FullyQualifiedErrorId.Split(',')[0]);
        }
        finally
        {
            _m.Run("Set-CondensaConfiguration -MaxStrategySteps 1000 -MaxStrategyFileBytes 1048576").AssertSucceeded();
        }
        var ok = _m.Run($"Test-Strategy -Path {Quote(path)}");
        ok.AssertSucceeded();
    }
}
