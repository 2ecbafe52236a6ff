// Structural slimming, measured: dense against slimmed models, in CondensaPS and in PyTorch, in one run.
//   dotnet run -c Release --project bench/slimming [-- --threads 2 --models resnet18,resnet18-cifar,vgg16_bn,vgg19_bn,resnet50]
// (resnet18-cifar: ResNet-18 with the 32x32 stem, a 3x3 stride-1 first convolution and no max pooling)
// For ResNet-18, VGG-16 and VGG-19 (torchvision's, with batch norm, scripted by PyTorch 1.13; the VGGs with the
// classic 32x32 head: pooling to 1x1 and a 512, 512 classifier, as the built-in's -PoolSize 1 -HiddenSizes 512,512;
// torchvision's 25,088-input 4096-wide head diverged at learning rate 0.05 and dwarfs the convolutions; one input channel, 10
// classes) at 32x32: a reference trained on the shipped MNIST digits (7,000, resized to 32x32) with cross-entropy,
// slimmed (Invoke-Prune -Method Filter -Slim, VGG also -Method Neuron -Slim), recovered with label-preserving
// retraining (teacher: the reference), test accuracy and mismatches on the 2,000 test digits. For ResNet-50 (3x224x224,
// 1,000 classes, untrained) the slimming step alone. Then inference throughput at batch 1 and 32 of the dense and the
// slimmed model, in CondensaPS (the module's forward) and in PyTorch 1.13 (torch.jit.load of both exports, by
// /usr/bin/python3), threads pinned on both sides, sides alternating twice (the better run counts); parameters,
// multiply-accumulates per image, bytes of the parameters and of the TorchScript file, and the slimming step's time.
using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

var options = Options.Parse(args);
if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
{
    // Both sides wait passively: on a shared box spinning OpenMP threads collapse throughput (see bench/retrain).
    SetEnv("OMP_WAIT_POLICY", "PASSIVE", 1);
    Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
}
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = options.Threads;
var root = FindRoot();
var work = Path.Combine(Path.GetTempPath(), "condensaps-bench-slimming-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
Console.WriteLine(Invariant($"threads {options.Threads} on both sides (torch.set_num_threads), OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")}, load average at start {LoadAverage()}"));
try
{
    var rows = new List<Row>();
    Dataset? train = null, val = null, test = null;
    foreach (var name in options.Models)
    {
        var setup = Setup.For(name, options);
        Console.WriteLine();
        Console.WriteLine($"== {name} ({setup.Describe()})");
        var file = MakeModel(root, work, setup.Spec);
        using var loaded = ModelLoader.Load(file, new ModelLoadOptions { Name = name });
        loaded.InputShape = setup.Sample;
        CompressionModel reference;
        if (setup.Train)
        {
            train ??= Mnist(root, "train", options.TrainCount);
            val ??= Mnist(root, "val", 1000);
            test ??= Mnist(root, "test", 2000);
            var watch = Stopwatch.StartNew();
            reference = Retrain(loaded, train, val, "cross-entropy", options.ReferenceEpochs, options.ReferenceLearningRate, null, setup.ReferenceWarmupEpochs(options));
            reference.Name = name;
            // The reference is the start of the pipeline: its own reference is itself, not the untrained model.
            reference.Reference = null;
            Console.WriteLine(Invariant($"reference: {options.ReferenceEpochs} epochs of cross-entropy in {watch.Elapsed.TotalSeconds:N0} s ({EpochRate(reference)})"));
        }
        else reference = loaded.Clone();
        using (reference)
        {
            var slimWatch = Stopwatch.StartNew();
            var slimmed = Slim(reference, setup);
            double slimSeconds = slimWatch.Elapsed.TotalSeconds;
            double stepSeconds = slimmed.History.Where(h => h.Operation == "prune").Sum(h => h.Elapsed.TotalSeconds);
            Console.WriteLine(Invariant($"slimmed: {string.Join(" then ", setup.Steps.Select(s => $"{s.Method} {s.Ratio}"))} in {stepSeconds:N2} s (step time; {slimSeconds:N2} s with the analysis of the result); MACs {reference.Macs:N0} -> {slimmed.Macs:N0}"));
            Row row;
            using (slimmed)
            {
                CompressionModel final = slimmed;
                double? refAcc = null, acc = null, slimAcc = null;
                long? mismatches = null, mismatchesRefRight = null;
                if (setup.Train)
                {
                    var slimReport = MismatchMeasurer.Measure(reference, slimmed, test!, OperationContext.None);
                    slimAcc = slimReport.CompressedAccuracy;
                    var watch = Stopwatch.StartNew();
                    final = Retrain(slimmed, train!, val!, "label-preserving", options.RecoveryEpochs, options.RecoveryLearningRate, reference, 0);
                    Console.WriteLine(Invariant($"recovered: {options.RecoveryEpochs} epochs of label-preserving retraining in {watch.Elapsed.TotalSeconds:N0} s ({EpochRate(final)})"));
                    var report = MismatchMeasurer.Measure(reference, final, test!, OperationContext.None);
                    refAcc = report.ReferenceAccuracy;
                    acc = report.CompressedAccuracy;
                    mismatches = report.Mismatches;
                    mismatchesRefRight = report.MismatchesReferenceRight;
                    Console.WriteLine(Invariant($"test accuracy: reference {refAcc:P2}, slimmed {slimAcc:P2}, recovered {acc:P2}; {mismatches} mismatches ({mismatchesRefRight} where the reference is right)"));
                }
                try
                {
                    var densePt = Path.Combine(work, name + "-dense.pt");
                    var slimPt = Path.Combine(work, name + "-slim.pt");
                    ModelExporter.Export(reference, densePt, ModelFileFormat.TorchScript, overwrite: true);
                    ModelExporter.Export(final, slimPt, ModelFileFormat.TorchScript, overwrite: true);
                    var timing = Time(reference, final, densePt, slimPt, setup, options);
                    row = new Row(name, setup, reference.Parameters, final.Parameters, reference.Macs ?? 0, final.Macs ?? 0,
                        reference.SizeBytes, final.SizeBytes, new FileInfo(densePt).Length, new FileInfo(slimPt).Length,
                        stepSeconds, refAcc, slimAcc, acc, mismatches, mismatchesRefRight, timing);
                }
                finally
                {
                    if (!ReferenceEquals(final, slimmed)) final.Dispose();
                }
            }
            rows.Add(row);
            row.Print();
        }
    }
    Console.WriteLine();
    Console.WriteLine(Invariant($"load average at the end {LoadAverage()}"));
    Row.PrintTables(rows);
}
finally
{
    Directory.Delete(work, recursive: true);
}

static CompressionModel Slim(CompressionModel model, Setup setup)
{
    var current = model;
    foreach (var step in setup.Steps)
    {
        var s = new StepSettings("prune").Set("ratio", step.Ratio).Set("method", step.Method).Set("slim", true);
        if (setup.Align > 1) s.Set("align", (long)setup.Align);
        if (step.Scope is not null) s.Set("scope", step.Scope);
        var next = OperationRunner.Run("prune", current, s);
        if (!ReferenceEquals(current, model)) current.Dispose();
        current = next;
    }
    return current;
}

static CompressionModel Retrain(CompressionModel model, Dataset train, Dataset val, string loss, int epochs, double learningRate, CompressionModel? teacher, int warmupEpochs)
{
    var s = new StepSettings("retrain").Set("loss", loss).Set("epochs", (long)epochs).Set("batch-size", 64L)
        .Set("learning-rate", learningRate).Set("seed", 1L);
    // Label-preserving recovery on mixed-up teacher inputs only and by magnitude where it prunes gradually, as the
    // README's figures were measured (the default adds affine, elastic and cut-mixed inputs at 2.5 times the time, and
    // prunes by Fisher score).
    if (loss == "label-preserving") s.Set("teacher-inputs", "mixup").Set("gradual-score", "magnitude");
    if (warmupEpochs > 0) s.Set("warmup-epochs", (long)warmupEpochs);
    return OperationRunner.Run("retrain", model, s, new OperationInputs { TrainingData = train, ValidationData = val, Reference = teacher });
}

static string EpochRate(CompressionModel trained)
{
    var epochs = ((List<object?>)trained.History[^1].Results["epochs"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
    return Invariant($"{epochs.Average(e => (double)e["images-per-second"]!):N0} img/s");
}

static Dataset Mnist(string root, string split, int count)
{
    string File(string f) => Path.Combine(root, "data", "mnist", f);
    var data = IdxReader.Read(File($"{split}-images-idx3-ubyte.gz"), File($"{split}-labels-idx1-ubyte.gz"));
    data = ImageResizer.Resize(data.Take(Math.Min(count, data.Count)), 32, 32);
    return data.WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, false);
}

static string MakeModel(string root, string work, string spec)
{
    var script = Path.Combine(root, "tests", "fixtures", "make_test_models.py");
    var (code, output) = RunProcess("/usr/bin/python3", new[] { script, work, spec }, null);
    if (code != 0) throw new InvalidOperationException($"make_test_models.py {spec} failed: {output}");
    return output.Trim().Split('\n').Last().Trim();
}

static Timing Time(CompressionModel dense, CompressionModel slim, string densePt, string slimPt, Setup setup, Options options)
{
    var timing = new Timing();
    var sample = string.Join(",", setup.Sample);
    var tuned = new Dictionary<string, string>
    {
        // The allocator settings the CondensaPS module makes in its own process (see bench/retrain), for PyTorch too.
        ["MALLOC_MMAP_THRESHOLD_"] = (32 << 20).ToString(CultureInfo.InvariantCulture),
        ["MALLOC_TRIM_THRESHOLD_"] = (128 << 20).ToString(CultureInfo.InvariantCulture),
    };
    var script = Path.Combine(AppContext.BaseDirectory, "torch_inference.py");
    for (int round = 0; round < 2; round++)
    {
        foreach (var batch in setup.Batches)
        {
            int iterations = setup.Iterations(batch, options);
            foreach (var (key, best, median) in Interleaved(dense, slim, setup.Sample, batch, iterations, options.Warmup))
                timing.Record(timing.Ours, key, batch, best, median);
            var (code, output) = RunProcess("/usr/bin/python3",
                new[] { script, options.Threads.ToString(CultureInfo.InvariantCulture), iterations.ToString(CultureInfo.InvariantCulture), options.Warmup.ToString(CultureInfo.InvariantCulture), sample, batch.ToString(CultureInfo.InvariantCulture), densePt, slimPt }, tuned);
            if (code != 0) { Console.WriteLine("PyTorch side failed: " + output.Trim().Split('\n').Last()); continue; }
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                if (parts.Length == 3)
                    timing.Record(timing.Torch, parts[0], batch, double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture));
            }
        }
    }
    return timing;
}

/// <summary>
/// Forward passes of the dense and the slimmed model, alternating, on one seeded batch (eval mode, no gradients):
/// images per second from the fastest and from the median pass of each. Alternating gives both the same load.
/// </summary>
static IEnumerable<(string Key, double Best, double Median)> Interleaved(CompressionModel dense, CompressionModel slim, long[] sample, int batch, int iterations, int warmup)
{
    var models = new[] { ("dense", dense), ("slim", slim) };
    var times = models.ToDictionary(m => m.Item1, _ => new List<double>());
    using var input = randn(new[] { (long)batch }.Concat(sample).ToArray(), generator: new Generator(1));
    using var _ = no_grad();
    for (int i = 0; i < warmup + iterations; i++)
        foreach (var (key, m) in models)
        {
            using var scope = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            m.Forward(input);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (i >= warmup) times[key].Add(seconds);
        }
    foreach (var (key, t) in times)
    {
        var sorted = t.OrderBy(x => x).ToList();
        yield return (key, batch / sorted[0], batch / sorted[sorted.Count / 2]);
    }
}

static (int Code, string Output) RunProcess(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments) psi.ArgumentList.Add(a);
    psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
    foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
    using var p = Process.Start(psi)!;
    var stdout = p.StandardOutput.ReadToEndAsync();
    var stderr = p.StandardError.ReadToEndAsync();
    p.WaitForExit();
    return (p.ExitCode, stdout.Result + (p.ExitCode != 0 ? stderr.Result : ""));
}

static string LoadAverage()
{
    try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "unknown"; }
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
static extern int SetEnv(string name, string value, int overwrite);

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "CondensaPS.sln"))) return d.FullName;
    throw new InvalidOperationException("CondensaPS.sln not found");
}

/// <summary>Command-line settings; defaults are the ones the README's table was measured with.</summary>
sealed class Options
{
    public int Threads { get; set; } = 2;
    public List<string> Models { get; set; } = new() { "resnet18", "resnet18-cifar", "vgg16_bn", "vgg19_bn", "resnet50" };
    public int TrainCount { get; set; } = 7000;
    public int ReferenceEpochs { get; set; } = 2;
    /// <summary>Warm-up epochs of the reference's training; null: one for the VGGs, none for the others.</summary>
    public int? ReferenceWarmupEpochs { get; set; }
    public double ReferenceLearningRate { get; set; } = 0.05;
    public int RecoveryEpochs { get; set; } = 2;
    public double RecoveryLearningRate { get; set; } = 0.01;
    public double? Ratio { get; set; }
    public double? NeuronRatio { get; set; }
    public int Align { get; set; } = 8;
    public int Iterations { get; set; } = 20;
    public int Warmup { get; set; } = 3;
    public bool NoTraining { get; set; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double D() => double.Parse(Next(), CultureInfo.InvariantCulture);
            int I() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--threads": o.Threads = I(); break;
                case "--models": o.Models = Next().Split(',').ToList(); break;
                case "--train-count": o.TrainCount = I(); break;
                case "--reference-epochs": o.ReferenceEpochs = I(); break;
                case "--reference-lr": o.ReferenceLearningRate = D(); break;
                case "--reference-warmup": o.ReferenceWarmupEpochs = I(); break;
                case "--recovery-epochs": o.RecoveryEpochs = I(); break;
                case "--recovery-lr": o.RecoveryLearningRate = D(); break;
                case "--ratio": o.Ratio = D(); break;
                case "--neuron-ratio": o.NeuronRatio = D(); break;
                case "--align": o.Align = I(); break;
                case "--iterations": o.Iterations = I(); break;
                case "--warmup": o.Warmup = I(); break;
                case "--no-training": o.NoTraining = true; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return o;
    }
}

/// <summary>What one model of the benchmark is: how it is made, its input, whether it trains, how it is slimmed.</summary>
sealed record Setup(string Name, string Spec, long[] Sample, bool Train, IReadOnlyList<(string Method, double Ratio, string? Scope)> Steps, int Align, int[] Batches)
{
    public static Setup For(string name, Options o)
    {
        bool vgg = name.StartsWith("vgg", StringComparison.Ordinal);
        // "resnet18-cifar": torchvision's ResNet-18 with the 32x32 stem (3x3 stride-1 convolution, no max pooling).
        bool cifar = vgg || name.EndsWith("-cifar", StringComparison.Ordinal);
        string torchvisionName = name.EndsWith("-cifar", StringComparison.Ordinal) ? name[..^"-cifar".Length] : name;
        if (name == "resnet50")
            return new Setup(name, "resnet50:size=224", new long[] { 3, 224, 224 }, false,
                new[] { ("filter", o.Ratio ?? 0.5, (string?)null) }, o.Align, new[] { 1, 32 });
        var steps = new List<(string, double, string?)> { ("filter", o.Ratio ?? (vgg ? 0.5 : 0.5), null) };
        if (vgg) steps.Add(("neuron", o.NeuronRatio ?? 0.75, null));
        return new Setup(name, $"{torchvisionName}:classes=10,in=1,size=32{(cifar ? ",cifar" : "")}", new long[] { 1, 32, 32 }, !o.NoTraining, steps, o.Align, new[] { 1, 32 });
    }

    /// <summary>
    /// The VGGs warm up for an epoch: from torchvision's initialisation at learning rate 0.05 without one, VGG-16's loss
    /// became NaN in the first epoch (batch 31), and at 0.01 the first epochs barely move (README, bench/train-epoch).
    /// </summary>
    public int ReferenceWarmupEpochs(Options o) => o.ReferenceWarmupEpochs ?? (Name.StartsWith("vgg", StringComparison.Ordinal) ? 1 : 0);

    public string Describe() => $"{Spec}, input {string.Join("x", Sample)}, {(Train ? "trained on MNIST" : "untrained")}";

    /// <summary>Fewer timed batches where one batch takes seconds (ResNet-50 at 224x224, batch 32).</summary>
    public int Iterations(int batch, Options o) => Name == "resnet50" && batch > 1 ? Math.Max(3, o.Iterations / 4) : o.Iterations;
}

/// <summary>Throughput (images/s) by (dense|slim, batch): the fastest pass over all rounds, and the better round's median.</summary>
sealed class Timing
{
    public Dictionary<(string, int), double> Ours { get; } = new();
    public Dictionary<(string, int), double> Torch { get; } = new();
    public Dictionary<(string, int), double> OursMedian { get; } = new();
    public Dictionary<(string, int), double> TorchMedian { get; } = new();

    public void Record(Dictionary<(string, int), double> best, string key, int batch, double fastest, double median)
    {
        best[(key, batch)] = Math.Max(best.GetValueOrDefault((key, batch)), fastest);
        var medians = ReferenceEquals(best, Ours) ? OursMedian : TorchMedian;
        medians[(key, batch)] = Math.Max(medians.GetValueOrDefault((key, batch)), median);
    }
}

sealed record Row(string Name, Setup Setup, long Parameters, long SlimParameters, long Macs, long SlimMacs, long Bytes, long SlimBytes,
    long FileBytes, long SlimFileBytes, double SlimSeconds, double? ReferenceAccuracy, double? SlimmedAccuracy, double? Accuracy,
    long? Mismatches, long? MismatchesReferenceRight, Timing Timing)
{
    public void Print()
    {
        foreach (var batch in Setup.Batches)
        {
            double od = Timing.Ours.GetValueOrDefault(("dense", batch)), os = Timing.Ours.GetValueOrDefault(("slim", batch));
            double td = Timing.Torch.GetValueOrDefault(("dense", batch)), ts = Timing.Torch.GetValueOrDefault(("slim", batch));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch {batch}: CondensaPS {od:N1} -> {os:N1} img/s ({Ratio(os, od)}), PyTorch {td:N1} -> {ts:N1} img/s ({Ratio(ts, td)})"));
        }
    }

    private static string Ratio(double a, double b) => b > 0 && a > 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";

    public static void PrintTables(IReadOnlyList<Row> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine("| inference throughput (img/s, fastest pass) | batch | CondensaPS dense | slimmed | speedup | (of medians) | PyTorch dense | slimmed | speedup | (of medians) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            foreach (var batch in r.Setup.Batches)
            {
                double od = r.Timing.Ours.GetValueOrDefault(("dense", batch)), os = r.Timing.Ours.GetValueOrDefault(("slim", batch));
                double td = r.Timing.Torch.GetValueOrDefault(("dense", batch)), ts = r.Timing.Torch.GetValueOrDefault(("slim", batch));
                double odm = r.Timing.OursMedian.GetValueOrDefault(("dense", batch)), osm = r.Timing.OursMedian.GetValueOrDefault(("slim", batch));
                double tdm = r.Timing.TorchMedian.GetValueOrDefault(("dense", batch)), tsm = r.Timing.TorchMedian.GetValueOrDefault(("slim", batch));
                Console.WriteLine(string.Create(inv, $"| {r.Name} ({string.Join("x", r.Setup.Sample)}) | {batch} | {od:N1} | {os:N1} | {Ratio(os, od)} | {Ratio(osm, odm)} | {td:N1} | {ts:N1} | {Ratio(ts, td)} | {Ratio(tsm, tdm)} |"));
            }
        Console.WriteLine();
        Console.WriteLine("| model | slimming | parameters | MACs per image | parameter bytes | TorchScript file bytes | slimming step (s) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(inv,
                $"| {r.Name} | {string.Join(", then ", r.Setup.Steps.Select(s => $"{s.Method} {s.Ratio}"))}, align {r.Setup.Align} | {r.Parameters:N0} -> {r.SlimParameters:N0} ({Ratio(r.Parameters, r.SlimParameters)}) | {r.Macs:N0} -> {r.SlimMacs:N0} ({Ratio(r.Macs, r.SlimMacs)}) | {r.Bytes:N0} -> {r.SlimBytes:N0} | {r.FileBytes:N0} -> {r.SlimFileBytes:N0} | {r.SlimSeconds:N2} |"));
        if (rows.All(r => r.Accuracy is null)) return;
        Console.WriteLine();
        Console.WriteLine("| on the 2,000 MNIST test digits (32x32) | reference accuracy | slimmed, before recovery | after label-preserving recovery | difference | mismatches | where the reference is right |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows.Where(r => r.Accuracy is not null))
            Console.WriteLine(string.Create(inv,
                $"| {r.Name} | {r.ReferenceAccuracy:P2} | {r.SlimmedAccuracy:P2} | {r.Accuracy:P2} | {(r.Accuracy - r.ReferenceAccuracy) * 100:+0.00;-0.00} points | {r.Mismatches} | {r.MismatchesReferenceRight} |"));
    }
}
