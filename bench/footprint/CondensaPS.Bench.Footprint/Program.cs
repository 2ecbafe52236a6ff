using System.Globalization;
using CondensaPS.Engine;

// The footprint benchmark: compact bytes against the dense TorchScript file PyTorch writes (random weights, every
// sparsity and storage type), the smallest faithful models trained on the shipped digits (Caffe's LeNet-5 and
// ResNet-18: pruning, weight sharing, entropy coding), and latency. Every compact file is read back and checked.
//   dotnet run -c Release --project bench/footprint/CondensaPS.Bench.Footprint -- [--parts ratios,lenet,resnet,rounding,lowrank,latency]
//       [--recipe NAME] [--out DIR] [--threads N] [--iterations N] [--warmup N] [--seed N]
var options = BenchArgs.Parse(args);
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = options.Threads;
Directory.CreateDirectory(options.Out);
if (!DenseTorchScript.Ensure(options.Out)) return 2;

Console.WriteLine($"CondensaPS footprint benchmark: torch threads {TorchRuntime.Threads}, {Environment.ProcessorCount} logical CPUs, {DateTime.UtcNow:yyyy-MM-dd}, load average {LoadAverage()}");
if (options.Parts.Contains("ratios")) RatioTable.Print(options);
if (options.Parts.Contains("lenet")) DigitsReport.Print(options, "Caffe's LeNet-5 (Deep Compression's) on the digits", "lenet5-caffe", 28, Recipes.LeNet);
if (options.Parts.Contains("resnet")) DigitsReport.Print(options, "ResNet-18 on the digits at 32x32", "resnet18-digits", 32, Recipes.ResNet);
if (options.Parts.Contains("rounding")) RoundingExperiment.Print(options);
if (options.Parts.Contains("lowrank")) LowRankExperiment.Print(options);
if (options.Parts.Contains("latency")) LatencyTable.Print(options);
Console.WriteLine($"Done; load average {LoadAverage()}.");
return 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
