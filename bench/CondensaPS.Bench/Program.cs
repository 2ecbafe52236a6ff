using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

// Global magnitude pruning of ResNet-50 (ratio 0.8 over all conv and linear weights): CondensaPS vs PyTorch's
// torch.nn.utils.prune.global_unstructured, both on the same thread count, median of several runs after a warm-up.
// Usage: dotnet run -c Release --project bench/CondensaPS.Bench [-- --threads 2 --runs 7 --ratio 0.8 --python /usr/bin/python3]
int threads = 2, runs = 7;
double ratio = 0.8;
string python = "/usr/bin/python3";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--ratio": ratio = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--python": python = args[i + 1]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = threads;
using var pristine = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet50", Seed = 0 });
var inPlace = new List<double>();
var copying = new List<double>();
long zeros = 0, total = 0;
for (int i = 0; i <= runs; i++)
{
    using var work = pristine.Clone();
    var settings = new StepSettings("prune").Set("ratio", ratio).Set("method", "magnitude").Set("scope", "global").Set("in-place", true);
    var watch = Stopwatch.StartNew();
    OperationRunner.Run("prune", work, settings);
    watch.Stop();
    if (i > 0) inPlace.Add(watch.Elapsed.TotalSeconds);
    var results = work.History[^1].Results;
    zeros = (long)results["zeros"]!;
    total = (long)results["selected"]!;

    watch.Restart();
    using var pruned = OperationRunner.Run("prune", pristine, new StepSettings("prune").Set("ratio", ratio));
    watch.Stop();
    if (i > 0) copying.Add(watch.Elapsed.TotalSeconds);
}

Console.WriteLine($"Global magnitude pruning, ResNet-50 conv+linear weights ({total:N0}), ratio {ratio}, {threads} thread(s), median of {runs} runs after 1 warm-up");
Console.WriteLine($"  CondensaPS prune (in place)          {Median(inPlace),8:F3} s   (min {inPlace.Min():F3} s, zeroed {zeros:N0})");
Console.WriteLine($"  CondensaPS prune (new model + clone) {Median(copying),8:F3} s   (min {copying.Min():F3} s)");

var script = Path.Combine(AppContext.BaseDirectory, "prune_bench.py");
var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var a in new[] { script, threads.ToString(CultureInfo.InvariantCulture), runs.ToString(CultureInfo.InvariantCulture), ratio.ToString(CultureInfo.InvariantCulture) })
    psi.ArgumentList.Add(a);
try
{
    using var process = Process.Start(psi)!;
    var stdout = process.StandardOutput.ReadToEnd();
    var stderr = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.WriteLine($"  PyTorch: {python} failed ({process.ExitCode}): {stderr.Trim()}");
        return 1;
    }
    using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
    var root = json.RootElement;
    double torchMedian = root.GetProperty("median_s").GetDouble();
    Console.WriteLine($"  PyTorch {root.GetProperty("torch").GetString()} global_unstructured   {torchMedian,8:F3} s   (min {root.GetProperty("min_s").GetDouble():F3} s, zeroed {root.GetProperty("zeros").GetInt64():N0} of {root.GetProperty("weights").GetInt64():N0}, {root.GetProperty("threads").GetInt32()} thread(s))");
    Console.WriteLine($"  Speed-up (in place vs PyTorch): {torchMedian / Median(inPlace):F1}x");
}
catch (System.ComponentModel.Win32Exception e)
{
    Console.WriteLine($"  PyTorch: cannot run {python}: {e.Message}");
    return 1;
}
return 0;

static double Median(List<double> values)
{
    var sorted = values.OrderBy(v => v).ToList();
    int n = sorted.Count;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}
