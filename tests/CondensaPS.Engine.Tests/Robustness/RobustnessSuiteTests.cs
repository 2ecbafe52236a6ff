using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CondensaPS.Engine.Tests.Robustness;

/// <summary>Carries the suite's summary line to `dotnet test`'s output (xunit diagnostic messages are shown there).</summary>
public sealed class RobustnessReport
{
    private readonly IMessageSink _sink;
    public RobustnessReport(IMessageSink sink) => _sink = sink;
    public void Print(string line) => _sink.OnMessage(new DiagnosticMessage(line));
}

/// <summary>
/// The robustness suite: thousands of seeded mutations (truncation, bit flips, overwritten runs, header lies, huge
/// sizes; nesting, alias bombs and huge numbers for YAML) of every input kind CondensaPS reads (TorchScript archives,
/// state dicts and checkpoints, safetensors, TorchSharp weights, compact files, IDX plain and gzip, CIFAR-10 batches,
/// PNG and JPEG image folders, safetensors data sets, YAML strategies). Each case must end in one of our ErrorIds or
/// read back identical to the unmutated input (a strategy may also become another valid strategy), with no crash, no
/// hang and no file written. Cases run in two worker processes (a libtorch fault kills its process; the case is then
/// recorded and a new worker carries on after it). CONDENSAPS_ROBUSTNESS_CASES and CONDENSAPS_ROBUSTNESS_SEED change
/// the count (default 3,000) and the seed (default 1).
/// </summary>
public sealed class RobustnessSuiteTests : IClassFixture<RobustnessReport>
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private const int Workers = 2;

    private readonly RobustnessReport _report;
    private readonly ITestOutputHelper _output;

    public RobustnessSuiteTests(RobustnessReport report, ITestOutputHelper output)
    {
        _report = report;
        _output = output;
    }

    private sealed record Result(int Index, string Case, string Outcome);

    /// <summary>The dotnet that runs these tests (or the one on the PATH).</summary>
    private static string Dotnet =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) && v > 0 ? v : fallback;

    [Fact]
    public void Mutated_inputs_end_in_an_ErrorId_or_read_back_unchanged_with_no_crash_hang_or_write()
    {
        int count = Setting("CONDENSAPS_ROBUSTNESS_CASES", 3000), seed = Setting("CONDENSAPS_ROBUSTNESS_SEED", 1);
        var watch = Stopwatch.StartNew();
        var results = new ConcurrentBag<Result>();
        var restarts = new ConcurrentBag<string>();
        Parallel.For(0, Workers, new ParallelOptions { MaxDegreeOfParallelism = Workers }, w => RunShare(seed, w, count, results, restarts));
        watch.Stop();

        var all = results.OrderBy(r => r.Index).ToList();
        var failures = all.Where(r => !r.Outcome.StartsWith("error:", StringComparison.Ordinal) && r.Outcome is not ("harmless" or "variant")).ToList();
        var errorIds = all.Where(r => r.Outcome.StartsWith("error:", StringComparison.Ordinal))
            .GroupBy(r => r.Outcome[6..].Split(' ')[0]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}").ToList();
        var kinds = all.GroupBy(r => r.Case.Split(' ')[0]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        var summary = $"robustness: {all.Count} cases (seed {seed}) in {watch.Elapsed.TotalSeconds:F0} s on {Workers} workers: " +
            $"{all.Count(r => r.Outcome.StartsWith("error:", StringComparison.Ordinal))} ended in an ErrorId, " +
            $"{all.Count(r => r.Outcome == "harmless")} read back unchanged, {all.Count(r => r.Outcome == "variant")} became another valid strategy; " +
            $"{failures.Count} failed ({all.Count(r => r.Outcome.StartsWith("FAIL-crash"))} crashes, {all.Count(r => r.Outcome.StartsWith("FAIL-hang"))} hangs, " +
            $"{all.Count(r => r.Outcome.StartsWith("FAIL-raw"))} raw exceptions, {all.Count(r => r.Outcome.StartsWith("FAIL-changed"))} silent changes, " +
            $"{all.Count(r => r.Outcome.StartsWith("FAIL-wrote"))} writes). ErrorIds met: {string.Join(", ", errorIds)}. Kinds: {string.Join(", ", kinds)}.";
        _report.Print(summary);
        _output.WriteLine(summary);
        foreach (var r in restarts) _output.WriteLine(r);
        Assert.Equal(count, all.Count);
        Assert.True(failures.Count == 0, summary + "\nFirst failures (reproduce one with: dotnet CondensaPS.Engine.Tests.dll " +
            $"{RobustnessWorker.Command} {seed} <case> {count} {count}):\n" +
            string.Join("\n", failures.Take(25).Select(f => $"case {f.Index} {f.Case} -> {f.Outcome}")));
    }

    /// <summary>Runs cases w, w+Workers, ... in worker processes, starting a new worker after a crash or a hang.</summary>
    private void RunShare(int seed, int w, int count, ConcurrentBag<Result> results, ConcurrentBag<string> restarts)
    {
        int next = w;
        while (next < count)
        {
            var (resume, note) = RunWorker(seed, next, count, results);
            if (note != null) restarts.Add(note);
            next = resume;
        }
    }

    /// <summary>One worker process from case <paramref name="first"/>; returns the case to go on from.</summary>
    private static (int Resume, string? Note) RunWorker(int seed, int first, int count, ConcurrentBag<Result> results)
    {
        var start = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var a in new[] { RobustnessWorker.Command, seed.ToString(), first.ToString(), Workers.ToString(), count.ToString() }) start.ArgumentList.Add(a);
        start.Environment["CONDENSAPS_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var lines = new BlockingCollection<string>();
        var stderr = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (sender, e) => { if (e.Data != null) { stderr.Enqueue(e.Data); while (stderr.Count > 40) stderr.TryDequeue(out _); } };
        process.BeginErrorReadLine();
        var reader = Task.Run(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) != null) lines.Add(line);
            lines.CompleteAdding();
        });
        try
        {
            if (!lines.TryTake(out var ready, StartTimeout) || !ready.StartsWith("ready ", StringComparison.Ordinal))
                throw new InvalidOperationException($"the robustness worker did not start: {ready}\n{string.Join("\n", stderr)}");
            int current = -1, lastDone = first - Workers;
            string currentCase = "";
            while (true)
            {
                if (!lines.TryTake(out var line, CaseTimeout))
                {
                    if (lines.IsCompleted)
                    {
                        process.WaitForExit();
                        if (current < 0)
                            return process.ExitCode == 0 ? (count, null) : (lastDone + Workers, $"worker exited {process.ExitCode} between cases: {string.Join(" | ", stderr.TakeLast(6))}");
                        results.Add(new Result(current, currentCase, $"FAIL-crash exit {process.ExitCode}: {string.Join(" | ", stderr.TakeLast(6))}"));
                        return (current + Workers, $"worker crashed on case {current}; restarted after it");
                    }
                    results.Add(new Result(current, currentCase, $"FAIL-hang no result in {CaseTimeout.TotalSeconds:F0} s"));
                    return (current + Workers, $"worker hung on case {current}; restarted after it");
                }
                if (line.StartsWith("case ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', 3);
                    current = int.Parse(parts[1]);
                    currentCase = parts[2];
                }
                else if (line.StartsWith("done ", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', 3);
                    results.Add(new Result(int.Parse(parts[1]), currentCase, parts[2]));
                    lastDone = int.Parse(parts[1]);
                    current = -1;
                }
            }
        }
        finally
        {
            if (!process.HasExited) { process.Kill(true); process.WaitForExit(); }
            reader.Wait(TimeSpan.FromSeconds(10));
        }
    }
}
