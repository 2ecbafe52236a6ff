using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

// Footprint and latency of ResNet-18 and LeNet-5: dense fp32 TorchScript (made by PyTorch) against the compact
// format at several sparsities and storage types, and inference/training timings of the dense and a compressed model.
//   dotnet run -c Release --project bench/CondensaPS.FootprintBench -- [--out DIR] [--threads N] [--iterations N]
var options = Args.Parse(args);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = options.Threads;
Directory.CreateDirectory(options.Out);

var python = "/usr/bin/python3";
var script = Path.Combine(Args.RepoRoot(), "bench", "make_dense_torchscript.py");
if (!File.Exists(Path.Combine(options.Out, "resnet18.pt")) || !File.Exists(Path.Combine(options.Out, "lenet5.pt")))
{
    var psi = new ProcessStartInfo(python, new[] { script, options.Out }) { RedirectStandardOutput = true };
    using var p = Process.Start(psi)!;
    p.WaitForExit();
    if (p.ExitCode != 0) { Console.Error.WriteLine($"{python} {script} failed ({p.ExitCode}); it needs python3-torch and python3-torchvision."); return 2; }
}

var models = new[] { ("resnet18", new long[] { 3, 224, 224 }), ("lenet5", new long[] { 1, 28, 28 }) };
var sparsities = new[] { 0.0, 0.5, 0.8, 0.9, 0.95 };
var types = new[] { StorageType.Float32, StorageType.Float16, StorageType.Int8 };

Console.WriteLine($"CondensaPS footprint benchmark: torch threads {TorchRuntime.Threads}, {Environment.ProcessorCount} logical CPUs, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine("Compression: the engine's prune step (magnitude, scope layer: every conv/linear weight; biases and batch norm stay dense) and quantize step (float16; int8 per channel).");
Console.WriteLine("Dense = the dense fp32 TorchScript file PyTorch 1.13 wrote (torch.jit.script); compact = Export-Model -Format Compact of the compressed model.");
Console.WriteLine();
Console.WriteLine("| Model | Sparsity | Type | Dense TorchScript bytes | Compact bytes | Ratio | Round trip |");
Console.WriteLine("|---|---:|---|---:|---:|---:|---|");
foreach (var (name, _) in models)
{
    var tsPath = Path.Combine(options.Out, name + ".pt");
    long tsBytes = new FileInfo(tsPath).Length;
    using var dense = ModelLoader.Load(tsPath, new ModelLoadOptions());
    foreach (var sparsity in sparsities)
    foreach (var type in types)
    {
        using var model = Compress(dense, sparsity, type);
        model.Name = $"{name}-{sparsity:0.##}-{type.ToDisplayName()}";
        var path = Path.Combine(options.Out, model.Name + ".cpz");
        ModelExporter.Export(model, path, ModelFileFormat.Compact, overwrite: true);
        long bytes = new FileInfo(path).Length;
        string roundTrip;
        using (var back = ModelLoader.Load(path, new ModelLoadOptions()))
        using (var input = randn(new long[] { 1 }.Concat(models.First(m => m.Item1 == name).Item2).ToArray(), generator: new Generator(1)))
        using (no_grad())
        using (var a = model.Forward(input))
        using (var b = back.Forward(input))
            roundTrip = (a == b).all().item<bool>() ? "exact" : "DIFFERS";
        Console.WriteLine($"| {name} | {sparsity:P0} | {type.ToDisplayName()} | {tsBytes:N0} | {bytes:N0} | {(double)tsBytes / bytes:N1}x | {roundTrip} |");
        File.Delete(path);
    }
}

Console.WriteLine();
Console.WriteLine($"Latency and throughput (ModelMeasurementRunner = Measure-Model; {options.Iterations} timed iterations after {options.Warmup} warm-up, {TorchRuntime.Threads} thread(s), CPU, fp32 compute: fp16/int8 are storage types here).");
Console.WriteLine();
Console.WriteLine("| Model | Variant | Batch | p50 ms | p95 ms | Inference samples/s | Training samples/s | Compact bytes | Speedup vs dense | Size ratio vs dense |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var (name, shape) in models)
{
    using var dense = ModelLoader.Load(Path.Combine(options.Out, name + ".pt"), new ModelLoadOptions { Name = name + " dense fp32" });
    using var compressed = Compress(dense, 0.9, StorageType.Float16);
    compressed.Name = name + " 90% fp16";
    foreach (var batch in name == "resnet18" ? new[] { 1, 16 } : new[] { 1, 64 })
    {
        var measureOptions = new ModelMeasurementOptions { InputShape = shape, BatchSize = batch, Iterations = options.Iterations, Warmup = options.Warmup };
        var m = ModelMeasurementRunner.Measure(compressed, measureOptions, dense);
        foreach (var (row, variant) in new[] { (m.ReferenceMeasurement!, "dense fp32"), (m, "90% sparse fp16") })
            Console.WriteLine($"| {name} | {variant} | {batch} | {row.LatencyP50Ms:N2} | {row.LatencyP95Ms:N2} | {row.Throughput:N1} | {row.TrainingThroughput:N1} | {row.CompactBytes:N0} | "
                + (ReferenceEquals(row, m) ? $"{m.Speedup:N2}x | {m.SizeRatio:N1}x |" : "1.00x | 1.0x |"));
    }
}
return 0;

// The engine's own prune and quantize steps (what Invoke-Prune and Invoke-Quantize run): layer-wise magnitude
// pruning of every conv/linear weight, then float16/int8 (per-channel) storage.
static CompressionModel Compress(CompressionModel dense, double sparsity, StorageType type)
{
    // Steps never change their input, so each starts from the previous output; the dense model stays the reference.
    var model = sparsity > 0
        ? OperationRunner.Run("prune", dense, new StepSettings("prune").Set("ratio", sparsity).Set("scope", "layer"))
        : dense.Clone();
    if (type == StorageType.Float32) return model;
    using var pruned = model;
    return OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", type.ToDisplayName()));
}

internal sealed record Args(string Out, int Threads, int Iterations, int Warmup)
{
    public static Args Parse(string[] args)
    {
        string Get(string key, string fallback) { int i = Array.IndexOf(args, key); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        return new Args(
            Path.GetFullPath(Get("--out", Path.Combine(Path.GetTempPath(), "condensaps-footprint-bench"))),
            int.Parse(Get("--threads", "1"), CultureInfo.InvariantCulture),
            int.Parse(Get("--iterations", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--warmup", "3"), CultureInfo.InvariantCulture));
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found above " + AppContext.BaseDirectory);
    }
}
