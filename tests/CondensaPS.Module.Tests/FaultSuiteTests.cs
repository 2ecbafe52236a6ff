using System.Diagnostics;
using System.Security.Cryptography;
using CondensaPS.Module.Tests.Support;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CondensaPS.Module.Tests;

/// <summary>Carries the fault suite's summary line to `dotnet test`'s output (xunit diagnostic messages are shown there).</summary>
public sealed class FaultReport
{
    private readonly IMessageSink _sink;
    public FaultReport(IMessageSink sink) => _sink = sink;
    public void Print(string line) => _sink.OnMessage(new DiagnosticMessage(line));
}

/// <summary>
/// The fault suite: an export, a strategy replay and a retrain, each run through the `condensa` host in a child
/// process and interrupted by SIGKILL and by SIGINT, half the time at a seeded random moment of the whole run, half
/// the time just after the output's temp file appears (a random 0-20 ms into the write). After every interruption the target is
/// the old file or the complete new one (byte for byte what an uninterrupted run writes), and the input files are
/// unchanged (SHA-256); SIGINT leaves no temp file, and after the next run no temp file is left whatever killed the one
/// before. CONDENSAPS_FAULT_TRIALS (default 2 per signal and operation) and CONDENSAPS_FAULT_SEED (default 1) change
/// the count and the moments.
/// </summary>
[Collection(ModuleCollection.Name)]
public sealed class FaultSuiteTests : IClassFixture<FaultReport>
{
    private readonly ModuleSession _m;
    private readonly FaultReport _report;
    private readonly ITestOutputHelper _output;

    public FaultSuiteTests(ModuleSession m, FaultReport report, ITestOutputHelper output)
    {
        _m = m;
        _report = report;
        _output = output;
    }

    private sealed record Operation(string Name, string[] Arguments, string[] Inputs, string Target);

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string[] TempFiles(string dir) => Directory.GetFiles(dir, ".*.tmp");

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    private static readonly Dictionary<string, string> Environment1Thread = new() { ["CONDENSAPS_THREADS"] = "1" };

    private static (int Code, string Out, string Err) RunToEnd(Operation op)
    {
        using var host = HostProcess.Start(op.Arguments, Environment1Thread);
        return host.Wait(TimeSpan.FromMinutes(5));
    }

    /// <summary>The three operations, with their inputs laid out in <paramref name="dir"/>.</summary>
    private List<Operation> Operations(string dir)
    {
        string Write(string name, string text) { var p = Path.Combine(dir, name); File.WriteAllText(p, text); return p; }
        var lenet = Path.Combine(dir, "lenet5_scripted.pt");
        File.Copy(Path.Combine(_m.RepoRoot, "tests", "fixtures", "lenet5_scripted.pt"), lenet);
        // A ResNet-18 in safetensors (45 MB), so that reading and writing take a while to interrupt.
        var r18 = Path.Combine(dir, "r18.safetensors");
        var make = Write("make.ps1", "param($Out) New-Model resnet18 -Seed 3 -NumClasses 10 | Export-Model -Path $Out\n");
        var made = RunToEnd(new Operation("make", new[] { make, r18 }, Array.Empty<string>(), r18));
        Assert.True(made.Code == 0, made.Err);
        var export = Write("export.ps1", "param($In, $Out) Import-Model $In | Export-Model -Path $Out -Format TorchSharp -Force\n");
        var strategy = Path.Combine(dir, "prune80-fp16.yaml");
        File.Copy(Path.Combine(_m.RepoRoot, "examples", "strategies", "prune80-fp16.yaml"), strategy);
        var mnist = Path.Combine(dir, "train-images-idx3-ubyte.gz");
        File.Copy(Path.Combine(_m.RepoRoot, "data", "mnist", "train-images-idx3-ubyte.gz"), mnist);
        File.Copy(Path.Combine(_m.RepoRoot, "data", "mnist", "train-labels-idx1-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte.gz"));
        var retrain = Write("retrain.ps1", "param($In, $Data, $Out)\n" +
            "$data = Import-Dataset $Data -First 1000 -Seed 1\n" +
            "Import-Model $In | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $data -Epochs 2 -BatchSize 32 -Seed 1 | Export-Model -Path $Out -Force\n");
        var outputs = Path.Combine(dir, "out");
        Directory.CreateDirectory(outputs);
        return new List<Operation>
        {
            new("export", new[] { export, r18, Path.Combine(outputs, "r18.dat") }, new[] { r18, export }, Path.Combine(outputs, "r18.dat")),
            new("strategy replay", new[] { strategy, "--model", lenet, "--output", Path.Combine(outputs, "replayed.pt"), "--force" }, new[] { strategy, lenet }, Path.Combine(outputs, "replayed.pt")),
            new("retrain", new[] { retrain, lenet, mnist, Path.Combine(outputs, "retrained.pt") }, new[] { lenet, mnist, retrain }, Path.Combine(outputs, "retrained.pt")),
        };
    }

    [Fact]
    public void Interrupted_export_replay_and_retrain_leave_the_old_or_the_complete_new_file_and_no_temp_file()
    {
        int trials = Setting("CONDENSAPS_FAULT_TRIALS", 2), seed = Setting("CONDENSAPS_FAULT_SEED", 1);
        var rng = new Random(seed);
        var watch = Stopwatch.StartNew();
        var dir = _m.NewTempFolder();
        var operations = Operations(dir);
        int interruptions = 0, keptOld = 0, completeNew = 0, leftByKill = 0, finishedFirst = 0;
        var lines = new List<string>();
        foreach (var op in operations)
        {
            var inputs = op.Inputs.ToDictionary(p => p, Hash);
            // The complete new file: what an uninterrupted run writes (the runs are deterministic at one thread).
            var full = Stopwatch.StartNew();
            var reference = RunToEnd(op);
            full.Stop();
            Assert.True(reference.Code == 0, $"{op.Name}: {reference.Out}{reference.Err}");
            var newHash = Hash(op.Target);
            var again = RunToEnd(op);
            Assert.True(again.Code == 0 && Hash(op.Target) == newHash, $"{op.Name} does not write the same bytes twice; the suite cannot tell a complete file");
            var outputs = Path.GetDirectoryName(op.Target)!;

            foreach (var signal in new[] { HostProcess.SigKill, HostProcess.SigInt })
            {
                for (int t = 0; t < trials; t++)
                {
                    // The old file: something else in its place, so that old and new are told apart.
                    File.WriteAllText(op.Target, $"old {op.Name} {signal} {t}");
                    var leftBefore = TempFiles(outputs).ToHashSet();
                    var oldHash = Hash(op.Target);
                    // Every other trial is aimed at the write itself: the signal follows the temp file's appearance.
                    bool atWrite = t % 2 == 1;
                    var delay = TimeSpan.FromMilliseconds(rng.NextDouble() * (atWrite ? 20 : full.Elapsed.TotalMilliseconds));
                    var started = Stopwatch.StartNew();
                    using var host = HostProcess.Start(op.Arguments, Environment1Thread);
                    if (atWrite) host.WaitUntil(() => TempFiles(outputs).Any(f => !leftBefore.Contains(f)), TimeSpan.FromMinutes(5));
                    Thread.Sleep(delay);
                    delay = started.Elapsed;
                    bool signalled = host.Signal(signal);
                    var (code, _, err) = host.Wait(TimeSpan.FromMinutes(5));
                    interruptions++;
                    if (!signalled) finishedFirst++;
                    var hash = Hash(op.Target);
                    var state = hash == oldHash ? "old" : hash == newHash ? "new" : "NEITHER";
                    if (state == "old") keptOld++;
                    if (state == "new") completeNew++;
                    // Temp files a killed run left before this one may still be there (an interrupted run may not reach its sweep).
                    var temps = TempFiles(outputs).Except(leftBefore).ToArray();
                    if (signal == HostProcess.SigKill) leftByKill += temps.Length;
                    lines.Add($"{op.Name}: {(signal == HostProcess.SigKill ? "SIGKILL" : "SIGINT")}{(atWrite ? " during the write" : "")} after {delay.TotalSeconds:F2} s (a full run took {full.Elapsed.TotalSeconds:F1}): exit {code}, target {state}, {temps.Length} new temp file(s), {TempFiles(outputs).Length - temps.Length} older");
                    Assert.True(state != "NEITHER", $"{op.Name}: after {lines[^1]} the target is neither the old nor the complete new file\n{err}");
                    foreach (var (path, before) in inputs)
                        Assert.True(Hash(path) == before, $"{op.Name}: input '{path}' changed");
                    if (signal == HostProcess.SigInt)
                        Assert.True(temps.Length == 0, $"{op.Name}: SIGINT left {string.Join(", ", temps)}");
                    // Past start-up, Ctrl+C stops the pipeline as pwsh -File does: no error, exit 0.
                    if (signal == HostProcess.SigInt && atWrite && signalled)
                        Assert.True(code == 0, $"{op.Name}: SIGINT during the write ended with exit {code}\n{err}");
                }
            }
            // The next run cleans up whatever a killed run left (its temp files are unlocked and older than 2 s).
            Thread.Sleep(TimeSpan.FromSeconds(2));
            var last = RunToEnd(op);
            Assert.True(last.Code == 0, $"{op.Name}: {last.Err}");
            Assert.Equal(newHash, Hash(op.Target));
            Assert.True(TempFiles(outputs).Length == 0, $"{op.Name}: the run after the interruptions left {string.Join(", ", TempFiles(outputs))}");
        }
        watch.Stop();
        var summary = $"faults: {interruptions} interruptions ({interruptions / 2} SIGKILL, {interruptions / 2} SIGINT) of export, strategy replay and retrain " +
            $"in {watch.Elapsed.TotalSeconds:F0} s: target old {keptOld}, complete new {completeNew}, neither 0; {finishedFirst} runs had ended before their signal; " +
            $"{leftByKill} temp file(s) left by SIGKILL, all removed by the next run; SIGINT left none; inputs unchanged.";
        _report.Print(summary);
        _output.WriteLine(summary);
        foreach (var line in lines) _output.WriteLine(line);
    }
}
