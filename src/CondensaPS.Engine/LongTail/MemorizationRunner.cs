using System.Diagnostics;
using System.Globalization;
using System.Text;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search;

namespace CondensaPS.Engine.LongTail;

/// <summary>
/// Runs a memorisation estimate: checks everything it can before the first model (K, the subset ratio, the recipe,
/// the data against the model, the executor), writes the inputs once (the starting model in the compact format, the
/// data snapshots), trains every subset model that has no result yet as a job on the executor (a worker that dies
/// is run once more, then recorded as failed; a model that fails to train is recorded; neither is averaged in),
/// and ends with the scores (<see cref="MemorizationEstimator"/>) written to memorization.json. Each finished model's
/// result stays in its folder, so a run that is killed keeps them and -Resume trains only the rest (a resumed run may
/// ask for more subset models than the first: subset k depends only on the seed and k).
/// </summary>
public static class MemorizationRunner
{
    public const string SubsetsFolder = "subsets";
    public const string InputsFolder = "inputs";
    public const string RunFile = "memorization-run.json";
    public const string JobScript = "MemorizationSubset.ps1";

    public static string JobScriptPath(string moduleFolder) => Path.Combine(moduleFolder, "Jobs", JobScript);

    public static MemorizationResult Run(MemorizationRequest request, IJobExecutor executor, OperationContext context)
    {
        var watch = Stopwatch.StartNew();
        var recipe = CheckBeforeStart(request);
        executor.CheckAvailable();
        var folder = Path.GetFullPath(request.Folder);
        var identity = Identity(request, recipe);
        PrepareFolder(folder, request, identity);
        var (model, training, test) = WriteInputs(folder, request);
        const string activity = "Measure-Memorization";
        var recipeValues = MemorizationRecipe.ToDictionary(recipe);

        // Results already in the folder are kept; every other model runs.
        var outcomes = new SubsetJobResult?[request.SubsetCount];
        var jobs = new List<WorkerJob>();
        int resumed = 0;
        for (int k = 0; k < request.SubsetCount; k++)
        {
            var dir = SubsetFolder(folder, k);
            var resultPath = Path.Combine(dir, SubsetJobResult.FileName);
            if (File.Exists(resultPath))
            {
                try
                {
                    outcomes[k] = SubsetJobResult.Read(resultPath);
                    resumed++;
                    continue;
                }
                catch (EngineException e)
                {
                    context.Warn($"Subset model {k}: {e.Message} It runs again.");
                }
            }
            jobs.Add(NewJob(request, recipeValues, dir, k, model, training, test));
        }
        if (resumed > 0) context.Log($"Resuming in '{folder}': {resumed} subset model(s) already finished are not trained again.");
        context.Log($"Training {jobs.Count} subset model(s) of {request.SubsetCount} on {executor.Name}: {SubsetPlan.SizeOf(request.TrainingData.Count, request.SubsetRatio):N0} of {request.TrainingData.Count:N0} examples each; recipe {MemorizationRecipe.Describe(recipe)}.");

        var died = new Dictionary<int, string>();
        if (jobs.Count > 0) RunJobs(executor, jobs, outcomes, died, request.SubsetCount, context, activity);

        var failures = new List<SubsetModelFailure>();
        var finished = new List<SubsetOutcome>();
        var results = new List<SubsetJobResult>();
        for (int k = 0; k < request.SubsetCount; k++)
        {
            var log = Path.Combine(SubsetFolder(folder, k), "worker.log");
            if (died.TryGetValue(k, out var why)) { failures.Add(new SubsetModelFailure(k, "WorkerDied", why, log)); continue; }
            var r = outcomes[k]!;
            if (!r.Succeeded) { failures.Add(new SubsetModelFailure(k, r.ErrorId ?? "SubsetModelFailed", r.Error ?? "failed", log)); continue; }
            if (r.TrainingCount != request.TrainingData.Count || r.TestCount != (request.TestData?.Count ?? 0))
            {
                failures.Add(new SubsetModelFailure(k, "SubsetResultInvalid",
                    $"its result covers {r.TrainingCount} training and {r.TestCount} test examples, not {request.TrainingData.Count} and {request.TestData?.Count ?? 0}", log));
                continue;
            }
            results.Add(r);
            finished.Add(new SubsetOutcome(k, SubsetPlan.Draw(request.TrainingData.Count, request.SubsetRatio, request.Seed, k), r.TrainingCorrect, r.TestCorrect));
        }
        foreach (var f in failures) context.Warn($"Subset model {f.Number} is left out of the scores: {f.ErrorId}: {f.Error}");

        context.Report(new OperationProgress(activity, $"scores from {finished.Count} subset models", 99));
        var estimate = MemorizationEstimator.Estimate(finished, request.TrainingData.Labels, request.TestData?.Labels, request.TopInfluences, context.Cancellation);
        var result = new MemorizationResult
        {
            Architecture = request.Model.Architecture,
            Model = request.Model.Name,
            SubsetCount = request.SubsetCount,
            SubsetRatio = request.SubsetRatio,
            Seed = request.Seed,
            Initialization = request.Initialization.ToString().ToLowerInvariant(),
            TopInfluences = request.TopInfluences,
            Recipe = recipeValues,
            ModelsUsed = finished.Count,
            FailedModels = failures,
            TrainingData = request.TrainingData.Name,
            TrainingFingerprint = request.TrainingData.Fingerprint,
            TestData = request.TestData?.Name,
            TestFingerprint = request.TestData?.Fingerprint,
            Training = estimate.Training,
            Test = estimate.Test,
            SplitHalfCorrelation = estimate.SplitHalfCorrelation,
            MeanSubsetAccuracy = results.Average(r => r.SubsetAccuracy),
            MeanTestAccuracy = request.TestData is null ? double.NaN : results.Average(r => r.TestAccuracy),
            Folder = folder,
            Path = Path.Combine(folder, MemorizationFile.FileName),
            ModelsRun = jobs.Count,
            ModelsResumed = resumed,
            Executor = executor.Name,
            Elapsed = watch.Elapsed,
        };
        MemorizationFile.Write(result, result.Path, overwrite: true);
        context.Report(new OperationProgress(activity, "done", 100, Completed: true));
        context.Log(result.ToString());
        return result;
    }

    /// <summary>Submits the jobs, reruns a job once when its worker dies, and records each outcome as it comes.</summary>
    private static void RunJobs(IJobExecutor executor, List<WorkerJob> jobs, SubsetJobResult?[] outcomes, Dictionary<int, string> died, int total,
        OperationContext context, string activity)
    {
        var pending = new List<(int Number, WorkerJob Job, int Attempt, Task<JobOutcome> Task)>();
        var tasks = executor.Submit(jobs, context.Cancellation);
        for (int i = 0; i < jobs.Count; i++) pending.Add((NumberOf(jobs[i]), jobs[i], 1, tasks[i]));
        int done = total - jobs.Count;
        try
        {
            while (pending.Count > 0)
            {
                context.Report(new OperationProgress(activity,
                    $"{done} of {total} subset models finished; {pending.Count} to go on {executor.Name}", 100 * done / Math.Max(1, total), Id: 31));
                int index = Task.WaitAny(pending.Select(p => (Task)p.Task).ToArray(), context.Cancellation);
                var (number, job, attempt, task) = pending[index];
                var outcome = task.GetAwaiter().GetResult();
                pending.RemoveAt(index);
                if (outcome.State == JobState.Cancelled) throw new OperationCanceledException(context.Cancellation);
                if (outcome.State == JobState.Died)
                {
                    if (attempt == 1)
                    {
                        context.Warn($"Subset model {number}: its worker died ({outcome.Worker}, {outcome.Detail}); running it once more. Log: {job.LogPath}");
                        pending.Add((number, job, 2, executor.Submit(new[] { job }, context.Cancellation)[0]));
                        continue;
                    }
                    died[number] = $"the worker died twice ({outcome.Detail}); see {job.LogPath}";
                }
                else
                {
                    try { outcomes[number] = SubsetJobResult.Read(job.ResultPath); }
                    catch (EngineException e) { outcomes[number] = new SubsetJobResult { Number = number, Succeeded = false, ErrorId = e.ErrorId, Error = e.Message }; }
                    var r = outcomes[number]!;
                    context.Log(r.Succeeded
                        ? string.Create(CultureInfo.InvariantCulture, $"Subset model {number}: {r.SubsetAccuracy:P2} on its subset{(double.IsFinite(r.TestAccuracy) ? $", {r.TestAccuracy:P2} on the test data" : "")}, {r.Elapsed.TotalSeconds:0.0} s ({outcome.Worker}).")
                        : $"Subset model {number} failed: {r.ErrorId}: {r.Error}");
                }
                done++;
            }
        }
        catch (OperationCanceledException)
        {
            // The executor stops its workers on the same token; wait for them so that none runs on behind us.
            foreach (var p in pending)
                try { p.Task.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
            throw;
        }
    }

    private static int NumberOf(WorkerJob job) => int.Parse(job.Id.AsSpan(job.Id.LastIndexOf('-') + 1), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>Everything that can be checked before a model trains, so that bad input fails at once; returns the resolved recipe.</summary>
    private static StepSettings CheckBeforeStart(MemorizationRequest request)
    {
        SubsetPlan.Validate(request.TrainingData.Count, request.SubsetCount, request.SubsetRatio);
        if (request.TopInfluences < 1)
            throw new EngineException("TopInfluencesOutOfRange", EngineErrorKind.InvalidArgument, $"Keep at least one influence per test example; got {request.TopInfluences}.", request.TopInfluences);
        var recipe = MemorizationRecipe.Resolve(request.Recipe);
        DatasetModelCheck.Require(request.TrainingData, request.Model);
        if (request.TestData is not null) DatasetModelCheck.Require(request.TestData, request.Model);
        if (request.Initialization == MemorizationInitialization.Fresh && request.Model.Spec is null)
            throw new EngineException("FreshInitializationNeedsBuiltIn", EngineErrorKind.NotSupported,
                $"A fresh initialisation needs a built-in architecture; '{request.Model.Name}' is {request.Model.Architecture}. Use -Initialization Given to start every subset model from its weights.", request.Model.Name);
        if (request.Model.IsTraced)
            throw new EngineException("TracedModelNotTrainable", EngineErrorKind.NotSupported,
                $"Model '{request.Model.Name}' was made by torch.jit.trace, which freezes batch norm in the mode it was traced in; use a scripted (torch.jit.script) export.", request.Model.Name);
        if (!File.Exists(JobScriptPath(request.ModuleFolder)))
            throw new EngineException("MemorizationWorkerScriptNotFound", EngineErrorKind.NotInstalled,
                $"The subset script '{JobScriptPath(request.ModuleFolder)}' is missing from the module folder; rebuild the module.", request.ModuleFolder);
        return recipe;
    }

    /// <summary>What makes two runs the same estimate (so that -Resume keeps only its own models): everything but K.</summary>
    private static string Identity(MemorizationRequest request, StepSettings recipe)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"ratio {request.SubsetRatio:R}; seed {request.Seed}; initialization {request.Initialization}; top {request.TopInfluences}\n");
        text.Append("recipe ").Append(MemorizationRecipe.Describe(recipe)).Append('\n');
        text.Append("model ").Append(SearchInputs.Digest(request.Model)).Append('\n');
        text.Append("training ").Append(SearchInputs.Digest(request.TrainingData)).Append('\n');
        text.Append("test ").Append(SearchInputs.Digest(request.TestData)).Append('\n');
        return text.ToString();
    }

    private static void PrepareFolder(string folder, MemorizationRequest request, string identity)
    {
        if (File.Exists(folder))
            throw new EngineException("OutputIsFile", EngineErrorKind.InvalidArgument, $"'{folder}' is a file; a memorisation run needs a folder.", folder);
        var runFile = Path.Combine(folder, RunFile);
        if (File.Exists(runFile) && !request.Resume)
        {
            if (!request.Force)
                throw new EngineException("MemorizationRunExists", EngineErrorKind.ResourceExists,
                    $"'{folder}' already holds a memorisation run; use -Resume to continue it (finished subset models are kept) or -Force to start over.", folder);
            foreach (var file in new[] { RunFile, MemorizationFile.FileName })
                if (File.Exists(Path.Combine(folder, file))) File.Delete(Path.Combine(folder, file));
            foreach (var dir in new[] { SubsetsFolder, InputsFolder, "slurm" })
                if (Directory.Exists(Path.Combine(folder, dir))) Directory.Delete(Path.Combine(folder, dir), recursive: true);
        }
        if (request.Resume)
        {
            if (!File.Exists(runFile))
                throw new EngineException("MemorizationRunNotFound", EngineErrorKind.ObjectNotFound,
                    $"There is no memorisation run to resume in '{folder}' (no {RunFile}); run it without -Resume.", folder);
            var previous = File.ReadAllText(runFile);
            if (previous != identity)
                throw new EngineException("MemorizationRunMismatch", EngineErrorKind.InvalidArgument,
                    $"The run in '{folder}' was started with other settings, model or data, so its subset models cannot be reused: {Difference(previous, identity)}. Use another folder, or -Force to start over.", folder);
        }
        Directory.CreateDirectory(folder);
        if (!File.Exists(runFile)) AtomicFile.WriteAllText(runFile, overwrite: false, identity);
    }

    private static string Difference(string previous, string now)
    {
        var a = previous.Split('\n');
        var b = now.Split('\n');
        for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            if (a[i] != b[i]) return $"it has '{Shorten(a[i])}', this call '{Shorten(b[i])}'";
        return "the run file differs";
    }

    private static string Shorten(string line) => line.Length > 120 ? line[..120] + "..." : line;

    private static (string Model, string Training, string? Test) WriteInputs(string folder, MemorizationRequest request)
    {
        var inputs = Path.Combine(folder, InputsFolder);
        Directory.CreateDirectory(inputs);
        var model = Path.Combine(inputs, "start" + Formats.Compact.CompactFormat.Extension);
        var training = Path.Combine(inputs, "training.safetensors");
        var test = request.TestData is null ? null : Path.Combine(inputs, "test.safetensors");
        // A resumed run keeps the files its first models read (the identity check made sure they are the same).
        if (!File.Exists(model)) ModelExporter.Export(request.Model, model, ModelFileFormat.Compact, overwrite: true);
        if (!File.Exists(training)) DatasetSnapshot.Write(request.TrainingData, training, overwrite: true);
        if (test is not null && !File.Exists(test)) DatasetSnapshot.Write(request.TestData!, test, overwrite: true);
        return (model, training, test);
    }

    private static string SubsetFolder(string folder, int number) =>
        Path.Combine(folder, SubsetsFolder, number.ToString("0000", CultureInfo.InvariantCulture));

    private static WorkerJob NewJob(MemorizationRequest request, IReadOnlyDictionary<string, object?> recipe, string dir, int number, string model, string training, string? test)
    {
        Directory.CreateDirectory(dir);
        string Relative(string path) => Path.GetRelativePath(dir, path);
        new SubsetJobSpec
        {
            Number = number,
            SubsetRatio = request.SubsetRatio,
            PlanSeed = request.Seed,
            TrainingSeed = unchecked(request.Seed + number),
            Initialization = request.Initialization,
            Model = Relative(model),
            TrainingData = Relative(training),
            TestData = test is null ? null : Relative(test),
            Recipe = recipe,
        }.Write(Path.Combine(dir, SubsetJobSpec.FileName));
        return new WorkerJob(string.Create(CultureInfo.InvariantCulture, $"subset-{number}"), dir, new[] { JobScriptPath(request.ModuleFolder), "-Spec", SubsetJobSpec.FileName })
        {
            ResultFile = SubsetJobResult.FileName,
            Environment = new Dictionary<string, string>
            {
                ["CONDENSAPS_THREADS"] = request.WorkerThreads.ToString(CultureInfo.InvariantCulture),
                ["CONDENSAPS_MODULE_PATH"] = request.ModuleFolder,
            },
        };
    }
}
