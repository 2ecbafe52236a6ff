// Retraining throughput and memory, CondensaPS (the "retrain" step) next to PyTorch eager (Debian python3-torch), in
// one run, at the same batch size and thread count:
//   dotnet run -c Release --project bench/retrain [-- --threads 2 --steps 2000]
// Throughput: images/s of plain cross-entropy training with SGD (momentum 0.9) on LeNet-5 (MNIST, 1x28x28, batch
// 64, 3 epochs) and ResNet-18 (3x32x32 and 3x64x64, 10 classes, batch 32, 4 epochs), averaged over the epochs after the
// first (warm-up); the sides alternate twice and the better run of each counts. Memory: resident set size over ~2,000
// LeNet-5 training steps, growth after the first 10% of the steps.
using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

int threads = 2, steps = 2000;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--threads") threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--steps") steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}
// libtorch's OpenMP threads spin while waiting; on a shared, loaded box two spinning threads collapse training
// several-fold (measured: LeNet-5 465 img/s active vs 5,700 passive). Both sides run with the passive policy.
if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
{
    SetEnv("OMP_WAIT_POLICY", "PASSIVE", 1);
    Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
}
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = threads;
var root = FindRoot();
string mnist(string f) => Path.Combine(root, "data", "mnist", f);
var lenetData = IdxReader.Read(mnist("train-images-idx3-ubyte.gz"), mnist("train-labels-idx1-ubyte.gz")).WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, false);

// A synthetic CIFAR-shaped set for ResNet-18 (throughput does not depend on the pixel values).
var cifarPath = Path.Combine(Path.GetTempPath(), "condensaps-bench-cifar.bin");
var rng = new Random(1);
var bytes = new byte[1024 * Cifar10Reader.RecordBytes];
rng.NextBytes(bytes);
for (int r = 0; r < 1024; r++) bytes[r * Cifar10Reader.RecordBytes] = (byte)(r % 10);
File.WriteAllBytes(cifarPath, bytes);
var cifarData = Cifar10Reader.Read(new[] { cifarPath }).WithTransforms(new[] { 0.5 }, new[] { 0.25 }, false);
// The same images at 64x64: four times the pixels, so convolution kernels weigh more.
var cifar64 = ImageResizer.Resize(cifarData.Take(384), 64, 64);

Console.WriteLine($"threads {threads} (torch.set_num_threads on both sides), OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")}, SGD lr 0.01 momentum 0.9, cross-entropy");
double Throughput(string arch, Dataset data, int batch, int epochs)
{
    using var model = ModelLoader.New(new ModelLoadOptions { Architecture = arch, NumClasses = 10, InputChannels = data.Channels, InputSize = data.Height, Seed = 1 });
    var s = new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", (long)epochs).Set("batch-size", (long)batch).Set("learning-rate", 0.01);
    using var trained = OperationRunner.Run("retrain", model, s, new OperationInputs { TrainingData = data });
    var perEpoch = ((List<object?>)trained.History[^1].Results["epochs"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
    return perEpoch.Skip(1).Average(e => (double)e["images-per-second"]!);
}
// The box may be shared: the two sides alternate, twice each, and the better run of each side counts.
var script = Path.Combine(AppContext.BaseDirectory, "retrain_bench.py");
// PyTorch runs twice: as installed, and with the allocator settings the CondensaPS module makes in its own process
// (large allocations kept in glibc's heap, NativeLibraryLoader.KeepLargeAllocationsInTheHeap), given as glibc's
// environment variables.
var tuned = new Dictionary<string, string> { ["MALLOC_MMAP_THRESHOLD_"] = (32 << 20).ToString(CultureInfo.InvariantCulture), ["MALLOC_TRIM_THRESHOLD_"] = (128 << 20).ToString(CultureInfo.InvariantCulture) };
// PyTorch with those settings runs its training loop twice: as documented, and at its leanest (gradients dropped
// instead of zeroed, foreach SGD; retrain_bench.py). The retrain step drops its gradients too.
var sides = new[] { "lenet5", "resnet18", "resnet18_64" };
var ours = new Dictionary<string, double>();
var asInstalled = new Dictionary<string, double>();
var sameAllocator = new Dictionary<string, double>();
var lean = new Dictionary<string, double>();
foreach (var d in new[] { ours, asInstalled, sameAllocator, lean }) foreach (var side in sides) d[side] = 0;
for (int round = 0; round < 2; round++)
{
    foreach (var side in sides)
    {
        double rate = side switch
        {
            "lenet5" => Throughput("lenet5", lenetData, 64, 3),
            "resnet18" => Throughput("resnet18", cifarData.Take(512), 32, 4),
            _ => Throughput("resnet18", cifar64, 32, 4),
        };
        ours[side] = Math.Max(ours[side], rate);
        asInstalled[side] = Math.Max(asInstalled[side], RunPython(script, threads, steps, root, side).GetValueOrDefault(side));
        sameAllocator[side] = Math.Max(sameAllocator[side], RunPython(script, threads, steps, root, side, tuned).GetValueOrDefault(side));
        lean[side] = Math.Max(lean[side], RunPython(script, threads, steps, root, side + " lean", tuned).GetValueOrDefault(side));
    }
}

// Memory over ~2,000 LeNet-5 steps: RSS sampled at every progress report.
var samples = new List<(double Fraction, long Rss)>();
int batchesPerEpoch = (lenetData.Count + 63) / 64;
int epochsForSteps = (steps + batchesPerEpoch - 1) / batchesPerEpoch;
{
    using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 2 });
    var ctx = new OperationContext { Progress = new SyncProgress(p => { if (!p.Completed) samples.Add((p.PercentComplete / 100.0, Environment.WorkingSet)); }) };
    var s = new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", (long)epochsForSteps).Set("batch-size", 64L).Set("learning-rate", 0.01);
    using var trained = OperationRunner.Run("retrain", model, s, new OperationInputs { TrainingData = lenetData }, ctx);
}
var afterWarmup = samples.First(x => x.Fraction >= 0.1).Rss;
var last = samples[^1].Rss;
var peak = samples.Max(x => x.Rss);
double growth = (double)(last - afterWarmup) / afterWarmup;

var py = RunPython(script, threads, steps, root, "rss");
Console.WriteLine();
Console.WriteLine($"{"training throughput (img/s)",-34}{"CondensaPS",12}{"PyTorch 1.13",14}{"ratio",8}{"same allocator",16}{"ratio",8}{"and lean loop",15}{"ratio",8}");
foreach (var (side, name) in new[] { ("lenet5", "LeNet-5, batch 64"), ("resnet18", "ResNet-18 (3x32x32), batch 32"), ("resnet18_64", "ResNet-18 (3x64x64), batch 32") })
    Console.WriteLine(FormattableString.Invariant($"{name,-34}{ours[side],12:N0}") + Tail(ours[side], asInstalled[side], 14) + Tail(ours[side], sameAllocator[side], 16) + Tail(ours[side], lean[side], 15));
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RSS over {epochsForSteps * batchesPerEpoch:N0} LeNet-5 steps: {afterWarmup / 1048576.0:N0} MB after warm-up (10%), {last / 1048576.0:N0} MB at the end, peak {peak / 1048576.0:N0} MB: growth {growth:P1}"));
if (py.TryGetValue("rss_growth", out var pyGrowth))
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PyTorch over {steps:N0} steps: {py["rss_warm"]:N0} MB after warm-up, {py["rss_end"]:N0} MB at the end: growth {pyGrowth:P1}"));
File.Delete(cifarPath);

static string Tail(double ours, double theirs, int width) =>
    (theirs > 0 ? theirs.ToString("N0", CultureInfo.InvariantCulture) : "n/a").PadLeft(width)
    + (theirs > 0 ? (ours / theirs).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "").PadLeft(8);

static Dictionary<string, double> RunPython(string script, int threads, int steps, string root, string mode, IReadOnlyDictionary<string, string>? environment = null)
{
    var result = new Dictionary<string, double>();
    try
    {
        var psi = new ProcessStartInfo("/usr/bin/python3", $"\"{script}\" {threads} {steps} \"{root}\" {mode}") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) result[parts[0]] = v;
        }
        if (p.ExitCode != 0) Console.WriteLine("PyTorch side failed: " + err.Trim().Split('\n').LastOrDefault());
    }
    catch (Exception e) { Console.WriteLine("PyTorch side unavailable: " + e.Message); }
    return result;
}

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
static extern int SetEnv(string name, string value, int overwrite);

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "CondensaPS.sln"))) return d.FullName;
    throw new InvalidOperationException("CondensaPS.sln not found");
}

sealed class SyncProgress : IProgress<OperationProgress>
{
    private readonly Action<OperationProgress> _a;
    public SyncProgress(Action<OperationProgress> a) => _a = a;
    public void Report(OperationProgress v) => _a(v);
}
