// The search benchmark: on the MNIST LeNet-5 label-preserving strategy (examples/strategies/search-lenet5-label-preserving.yaml), per seed,
// a dense sweep of the 30 ratios 0.70, 0.71, ..., 0.99 gives the largest ratio whose model stays within 1 accuracy
// point of the reference; Find-CompressionStrategy's search (the same engine code, trials in `condensa` worker
// processes) must land within 0.01 of it in at most 10 trials. Each seed has its own reference (LeNet-5 trained from
// that seed's weights), so each seed gets its own sweep. Every trial, in the sweep and in the searches, runs the same
// TrialWorker code on the same input files with torch pinned to 1 thread, so a search trial at a grid ratio repeats
// the sweep's trial there exactly (the table says how many did). Then the same searches with 2 local workers for the
// speed-up, and one through Slurm when a cluster answers (.ci/slurm-up.sh starts one).
//
// Run (after 'dotnet build CondensaPS.sln', which builds the module and the condensa host the workers run):
//   dotnet run -c Release --project bench/search [-- --seeds 1,2,3 --train 2000 --skip-slurm]
using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Strategies;

var seeds = new List<int> { 1, 2, 3 };
int recoveryCount = 2000, referenceEpochs = 4;
bool skipSlurm = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seeds": seeds = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList(); break;
        case "--train": recoveryCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--reference-epochs": referenceEpochs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--skip-slurm": skipSlurm = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

var root = FindRoot();
var moduleFolder = Path.Combine(root, "out", "CondensaPS");
if (!File.Exists(SearchRunner.TrialScriptPath(moduleFolder)))
{
    Console.Error.WriteLine($"The module is not built ({moduleFolder}); run 'dotnet build CondensaPS.sln' first.");
    return 1;
}
var host = WorkerHost.Locate(moduleFolder);
TorchRuntime.EnsureInitialized();
TorchRuntime.Threads = 1;
var strategyPath = Path.Combine(AppContext.BaseDirectory, "search-lenet5-label-preserving.yaml");
var strategyText = File.ReadAllText(strategyPath);
var definition = StrategyReader.Read(strategyPath).Search!;
var work = Path.Combine(Path.GetTempPath(), "condensaps-bench-search", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
Directory.CreateDirectory(work);

string Mnist(string f) => Path.Combine(root, "data", "mnist", f);
var fullTrain = IdxReader.Read(Mnist("train-images-idx3-ubyte.gz"), Mnist("train-labels-idx1-ubyte.gz"));
var recovery = fullTrain.Take(recoveryCount);
var validation = IdxReader.Read(Mnist("val-images-idx3-ubyte.gz"), Mnist("val-labels-idx1-ubyte.gz"));
Console.WriteLine($"Search benchmark: {definition}");
Console.WriteLine($"Reference: LeNet-5 trained {referenceEpochs} epochs on {fullTrain.Count:N0} digits per seed; recovery: 1 label-preserving epoch on {recovery.Count:N0}; constraint on the {validation.Count:N0} validation digits.");
Console.WriteLine($"torch threads: 1 in this process and in every worker; machine: {Environment.ProcessorCount} cores, load {Load()}; work folder {work}");
Console.WriteLine($"Worker host: {host}");
Console.WriteLine();

var rows = new List<Row>();
foreach (var seed in seeds)
{
    var folder = Path.Combine(work, $"seed-{seed}");
    using var reference = TrainReference(seed);
    var fixedParameters = new Dictionary<string, object?> { ["seed"] = (long)seed };

    var sweepWatch = Stopwatch.StartNew();
    var sweep = Sweep(folder, reference, fixedParameters);
    sweepWatch.Stop();
    var sweepBoundary = sweep.Where(s => definition.Constraints[0].IsMet(s.Value)).Select(s => (double?)s.Key).Max();
    Console.WriteLine($"seed {seed}: sweep ({sweepWatch.Elapsed.TotalSeconds:0} s): " + string.Join(" ", sweep.Select(s => $"{s.Key:0.00}:{s.Value:0.0}")));
    Console.WriteLine($"seed {seed}: largest ratio within 1 point: {(sweepBoundary is { } b ? b.ToString("0.00", CultureInfo.InvariantCulture) : "none")}");

    var one = Search(folder, "search-1-worker", reference, fixedParameters, new LocalProcessExecutor(host, 1));
    var two = Search(folder, "search-2-workers", reference, fixedParameters, new LocalProcessExecutor(host, 2));
    rows.Add(new Row(seed, sweepBoundary, sweepWatch.Elapsed, one, two, Matches(sweep, one.Result, two.Result)));
    Console.WriteLine($"seed {seed}: 1 worker {Describe(one)}; 2 workers {Describe(two)}; load {Load()}");
    Console.WriteLine();
}

(Run Run, string Note)? slurm = null;
if (!skipSlurm)
{
    var executor = new SlurmExecutor(new ExecutorOptions { Host = host, ThrottleLimit = 2, Partition = null, TimeLimit = TimeSpan.FromMinutes(20), SharedFolder = Path.Combine(work, "slurm") });
    try
    {
        executor.CheckAvailable();
        var seed = seeds[0];
        using var reference = TrainReference(seed);
        var run = Search(Path.Combine(work, "slurm"), "search-slurm", reference, new Dictionary<string, object?> { ["seed"] = (long)seed }, executor);
        slurm = (run, $"seed {seed}, one-node cluster, 2 array tasks at once");
    }
    catch (EngineException e) when (e.ErrorId is "SlurmUnavailable" or "SlurmPartitionNotFound")
    {
        Console.WriteLine($"Slurm: skipped ({e.Message})");
    }
}

Console.WriteLine();
Console.WriteLine($"load {Load()} at the end");
Console.WriteLine();
Console.WriteLine("| seed | sweep: largest ratio within 1 point (30 trials, time) | search, 1 worker: ratio, trials, time | 2 workers: ratio, trials, time | speed-up | within 0.01 | search trials equal to the sweep's |");
Console.WriteLine("|---:|---|---|---|---:|---|---|");
foreach (var r in rows)
{
    bool within = r.SweepBoundary is { } s && Within(r.One, s) && Within(r.Two, s);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Seed} | {F(r.SweepBoundary)} ({r.SweepTime.TotalSeconds:0} s) | {Cell(r.One)} | {Cell(r.Two)} | {r.One.Time.TotalSeconds / r.Two.Time.TotalSeconds:0.00}x | {(within ? "yes" : "NO")} | {r.Matches} |"));
}
if (slurm is { } sl)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| Slurm ({sl.Note}) | | {Cell(sl.Run)} | | | | |"));
bool all = rows.All(r => r.SweepBoundary is { } s && Within(r.One, s) && Within(r.Two, s) && r.One.Result.Trials.Count <= 10 && r.Two.Result.Trials.Count <= 10);
Console.WriteLine();
Console.WriteLine(all ? "Goal reached: every search landed within 0.01 of its sweep in at most 10 trials." : "Goal NOT reached on every seed (see the table).");
return 0;

CompressionModel TrainReference(int seed)
{
    var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = seed, Name = $"lenet5-s{seed}" });
    var settings = new StepSettings("retrain")
        .Set("loss", "cross-entropy").Set("epochs", referenceEpochs).Set("learning-rate", 0.05).Set("seed", seed);
    var trained = OperationRunner.Run("retrain", model, settings, new OperationInputs { TrainingData = fullTrain });
    model.Dispose();
    trained.Name = $"lenet5-s{seed}";
    return trained;
}

// The 30 grid ratios, each through TrialWorker in this process (the code a worker runs), on the search's own inputs.
SortedDictionary<double, double> Sweep(string folder, CompressionModel reference, IReadOnlyDictionary<string, object?> fixedParameters)
{
    var sweepFolder = Path.Combine(folder, "sweep");
    var inputs = SearchInputs.Prepare(sweepFolder, strategyText, reference, recovery, validation);
    var drops = new SortedDictionary<double, double>();
    foreach (var ratio in definition.Parameter.Grid())
    {
        var dir = Path.Combine(sweepFolder, "trials", ratio.ToString("0.00", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var parameters = new OrderedSettings();
        foreach (var (k, v) in fixedParameters) parameters.Add(k, v);
        parameters.Add("ratio", ratio);
        var spec = new TrialSpec
        {
            Search = "sweep",
            Number = drops.Count + 1,
            Strategy = Path.GetRelativePath(dir, inputs.Strategy),
            Model = Path.GetRelativePath(dir, inputs.Model),
            TrainingData = Path.GetRelativePath(dir, inputs.TrainingData!),
            ValidationData = Path.GetRelativePath(dir, inputs.ValidationData!),
            Parameters = parameters,
        };
        var specPath = Path.Combine(dir, TrialSpec.FileName);
        spec.Write(specPath);
        if (TrialWorker.Run(specPath, OperationContext.None) != 0)
            throw new InvalidOperationException($"sweep trial at {ratio} failed: {TrialResult.Read(Path.Combine(dir, TrialResult.FileName)).Error}");
        drops[ratio] = TrialResult.Read(Path.Combine(dir, TrialResult.FileName)).Metrics[TrialMetrics.AccuracyDrop];
    }
    return drops;
}

Run Search(string folder, string name, CompressionModel reference, IReadOnlyDictionary<string, object?> fixedParameters, IJobExecutor executor)
{
    using var _ = executor;
    var request = new SearchRequest
    {
        StrategyPath = strategyPath,
        Definition = definition,
        Model = reference,
        TrainingData = recovery,
        ValidationData = validation,
        FixedParameters = fixedParameters,
        Folder = Path.Combine(folder, name),
        Force = true,
        ModuleFolder = moduleFolder,
        WorkerThreads = 1,
    };
    var context = new OperationContext { Warning = m => Console.WriteLine("  warning: " + m) };
    var watch = Stopwatch.StartNew();
    var result = SearchRunner.Run(request, executor, new ConstrainedBayesianSearch(), _ => { }, context);
    watch.Stop();
    result.BestModel?.Dispose();
    return new Run(result, watch.Elapsed);
}

// How many search trials (at grid ratios) gave exactly the sweep's accuracy drop at that ratio.
string Matches(SortedDictionary<double, double> sweep, params SearchResult[] results)
{
    var trials = results.SelectMany(r => r.Trials).Where(t => t.AccuracyDrop is not null).ToList();
    int same = trials.Count(t => sweep.TryGetValue(Math.Round(t.Value, 2), out var d) && d == t.AccuracyDrop);
    return $"{same} of {trials.Count}";
}

static bool Within(Run run, double sweepBoundary) => run.Result.Feasible && run.Result.BestTrial is { } b && Math.Abs(b.Value - sweepBoundary) <= 0.01 + 1e-9;

static string Cell(Run run) => string.Create(CultureInfo.InvariantCulture,
    $"{(run.Result.Feasible ? run.Result.BestTrial!.Value.ToString("0.00", CultureInfo.InvariantCulture) : "none")}, {run.Result.Trials.Count}, {run.Time.TotalSeconds:0} s");

static string Describe(Run run) => string.Create(CultureInfo.InvariantCulture,
    $"{(run.Result.Feasible ? run.Result.BestTrial!.Value.ToString("0.00", CultureInfo.InvariantCulture) : "none")} in {run.Result.Trials.Count} trials, {run.Time.TotalSeconds:0} s ({string.Join(" ", run.Result.Trials.Select(t => $"{t.Value:0.00}{(t.Feasible ? "+" : "-")}"))}); boundary {run.Result.Boundary}");

static string F(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "none";

static string Load()
{
    try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "unknown"; }
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
    throw new InvalidOperationException("CondensaPS.sln not found above " + AppContext.BaseDirectory);
}

internal sealed record Run(SearchResult Result, TimeSpan Time);

internal sealed record Row(int Seed, double? SweepBoundary, TimeSpan SweepTime, Run One, Run Two, string Matches);
