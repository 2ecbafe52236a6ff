using System.Collections.Concurrent;
using System.Diagnostics;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Ctrl+C in the `condensa` host stops the pipeline as pwsh does, in a child process sent SIGINT.</summary>
[Collection(ModuleCollection.Name)]
public class HostCtrlCTests
{
    private readonly ModuleSession _m;
    public HostCtrlCTests(ModuleSession m) => _m = m;

    [Fact]
    public void SIGINT_stops_the_pipeline_runs_finally_leaves_no_temp_file_and_exits_as_pwsh()
    {
        var dir = _m.NewTempFolder();
        var output = Path.Combine(dir, "out");
        Directory.CreateDirectory(output);
        var script = Path.Combine(dir, "export-loop.ps1");
        // Most of the loop's time is spent writing a 45 MB file, so the signal most likely lands in a write.
        File.WriteAllText(script, """
            param([string] $Folder)
            $model = New-Model resnet18 -Seed 1
            $path = Join-Path $Folder 'model.safetensors'
            try {
                for ($i = 1; $i -le 1000; $i++) {
                    $model | Export-Model -Path $path -Force
                    Write-Host "exported $i"
                }
            }
            finally { Write-Host 'finally ran' }
            Write-Host 'after the loop'
            """);
        var environment = new Dictionary<string, string> { ["CONDENSAPS_MODULE_PATH"] = Path.Combine(_m.RepoRoot, "out", "CondensaPS"), ["CONDENSAPS_THREADS"] = "1" };
        using var process = Process.Start(ChildProcess.StartInfo(ChildProcess.Dotnet, new[] { ChildProcess.HostDll, script, "-Folder", output }, environment))!;
        var lines = new BlockingCollection<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lines.Add(e.Data); };
        var errors = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) errors.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var seen = new List<string>();
            while (!seen.Contains("exported 2"))
            {
                Assert.True(lines.TryTake(out var line, TimeSpan.FromSeconds(120)), "no export finished: " + string.Join("\n", seen.Concat(errors)));
                seen.Add(line);
            }
            Thread.Sleep(50);
            var interrupted = Stopwatch.StartNew();
            ChildProcess.Interrupt(process);
            if (!process.WaitForExit(120_000))
            {
                // What the host printed after the signal says whether the loop went on (the stop was lost) or hung.
                var after = new List<string>();
                while (lines.TryTake(out var l)) after.Add(l);
                Assert.Fail($"the host did not stop within 120 s of SIGINT; after it printed: {string.Join(" | ", after.TakeLast(10))}; stderr: {string.Join(" | ", errors.TakeLast(10))}");
            }
            process.WaitForExit(); // drains the output
            interrupted.Stop();
            seen.AddRange(lines);
            var text = string.Join("\n", seen) + "\n" + string.Join("\n", errors);
            Assert.Equal(0, process.ExitCode); // pwsh -File exits 0 after Ctrl+C
            Assert.Contains("finally ran", seen);
            Assert.DoesNotContain("after the loop", seen);
            Assert.DoesNotContain(errors, l => l.StartsWith("ERROR", StringComparison.Ordinal));
            Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(output).Select(Path.GetFileName)); // no temp file left
            Assert.True(interrupted.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {interrupted.Elapsed}: {text}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(true);
        }
        // What is there is a whole file.
        var check = _m.Run("(Import-Model -Path $p).Parameters", new Dictionary<string, object?> { ["p"] = Path.Combine(output, "model.safetensors") });
        check.AssertSucceeded();
        Directory.Delete(dir, true);
    }
}
