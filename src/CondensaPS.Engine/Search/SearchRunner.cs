using System.Collections;
using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Strategies;

namespace CondensaPS.Engine.Search;

/// <summary>
/// Runs a search: checks everything it can before the first trial (the strategy compiles at both ends of the range,
/// the objective can be measured, the executor is reachable), writes the inputs, then asks the algorithm for points,
/// runs each as a job on the executor, journals every finished trial before handing it to <c>onTrial</c>, retries a
/// trial once when its worker dies, and ends with the best feasible trial, the fixed strategy, the boundary and the
/// chart. With Resume, the journal's trials are read back and never run again.
/// </summary>
public static class SearchRunner
{
    public const string TrialsFolder = "trials";
    public const string TrialScript = "SearchTrial.ps1";
    public const string BestStrategyFile = "best-strategy.yaml";
    public const string ChartFile = "search.png";

    public static string TrialScriptPath(string moduleFolder) => Path.Combine(moduleFolder, "Jobs", TrialScript);

    public static SearchResult Run(SearchRequest request, IJobExecutor executor, ISearchAlgorithm algorithm, Action<SearchTrial> onTrial, OperationContext context)
    {
        var watch = Stopwatch.StartNew();
        var definition = request.Definition;
        var folder = Path.GetFullPath(request.Folder);
        var strategyText = File.ReadAllText(request.StrategyPath);
        var document = StrategyReader.Read(request.StrategyPath);
        CheckBeforeStart(request, document);
        executor.CheckAvailable();

        PrepareFolder(folder, request);
        var inputs = SearchInputs.Prepare(folder, strategyText, request.Model, request.TrainingData, request.ValidationData);
        var identity = new SearchIdentity(document.Name, definition.WhatIsSearched, SearchIdentity.DigestText(strategyText),
            FixedText(request.FixedParameters), inputs.ModelDigest, inputs.DataDigest, DateTimeOffset.UtcNow);
        var journalPath = Path.Combine(folder, TrialJournal.FileName);
        using var journal = File.Exists(journalPath) ? TrialJournal.Open(journalPath, identity) : TrialJournal.Create(journalPath, identity);
        if (journal.IgnoredLines > 0) context.Warn($"The journal's last line was cut short (the search was killed while writing it); that trial runs again.");
        int resumed = journal.Trials.Count;
        if (resumed > 0) context.Log($"Resuming search '{document.Name}': {resumed} finished trial(s) in '{journalPath}' are not run again.");
        foreach (var t in journal.Trials) onTrial(t);

        var pending = new List<Running>();
        int nextNumber = NextNumber(folder, journal);
        int run = 0;
        string finishedBecause = $"the budget of {definition.MaxTrials} trials is spent";
        var activity = $"Find-CompressionStrategy {document.Name}";
        try
        {
            while (true)
            {
                context.ThrowIfCancelled();
                int finished = journal.Trials.Count;
                int budget = definition.MaxTrials - finished - pending.Count;
                int free = executor.Slots - pending.Count;
                if (budget > 0 && free > 0)
                {
                    var observations = journal.Trials.Select(t => t.Observation(definition)).ToList();
                    var decision = algorithm.Propose(definition, observations, pending.Select(p => p.Proposal.Value).ToList(), Math.Min(free, budget));
                    if (decision.Proposals.Count > 0)
                    {
                        var batch = decision.Proposals.Select(p => NewTrial(request, inputs, document.Name, nextNumber++, p)).ToList();
                        Submit(executor, batch, context);
                        pending.AddRange(batch);
                    }
                    else if (decision.Finished && pending.Count == 0)
                    {
                        finishedBecause = decision.FinishedBecause ?? "the algorithm has nothing left to try";
                        break;
                    }
                }
                if (pending.Count == 0)
                {
                    if (budget > 0) finishedBecause = "the algorithm proposed nothing more";
                    break;
                }
                context.Report(new OperationProgress(activity,
                    $"{journal.Trials.Count} of {definition.MaxTrials} trials finished; running {string.Join(", ", pending.Select(p => $"{definition.Parameter.Name}={F(p.Proposal.Value)}"))} on {executor.Name}",
                    100 * journal.Trials.Count / definition.MaxTrials, Id: 30));

                int index = Task.WaitAny(pending.Select(p => (Task)p.Outcome!).ToArray(), context.Cancellation);
                var done = pending[index];
                var outcome = done.Outcome!.GetAwaiter().GetResult();
                if (outcome.State == JobState.Cancelled) throw new OperationCanceledException(context.Cancellation);
                if (outcome.State == JobState.Died && done.Attempt == 1)
                {
                    context.Warn($"Trial {done.Number} ({definition.Parameter.Name}={F(done.Proposal.Value)}): its worker died ({outcome.Worker}, {outcome.Detail}); running it once more. Log: {done.Job.LogPath}");
                    pending[index] = done with { Attempt = 2, Outcome = null, Started = DateTimeOffset.UtcNow };
                    Submit(executor, new[] { pending[index] }, context);
                    continue;
                }
                pending.RemoveAt(index);
                var trial = Record(request, document.Name, done, outcome);
                journal.Append(trial);
                run++;
                context.Log(trial.ToString());
                onTrial(trial);
            }
        }
        catch (OperationCanceledException)
        {
            // The executor stops its workers on the same token; wait for them so that no trial runs on behind us.
            foreach (var p in pending.Where(p => p.Outcome is not null))
                try { p.Outcome!.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
            throw;
        }
        context.Report(new OperationProgress(activity, "Done", 100, Id: 30, Completed: true));
        return Finish(request, algorithm, executor, document, strategyText, folder, journal, run, resumed, finishedBecause, watch.Elapsed, context);
    }

    /// <summary>Everything that can be checked before a trial runs, so that bad input fails at once.</summary>
    private static void CheckBeforeStart(SearchRequest request, StrategyDocument document)
    {
        var definition = request.Definition;
        if (!document.Parameters.Any(p => p.Name == definition.Parameter.Name))
            throw new SearchDefinitionException("SearchParameterNotDeclared", definition.Parameter.Name + ".min",
                $"Strategy '{document.Name}' declares no parameter '{definition.Parameter.Name}'; declared: {(document.Parameters.Count == 0 ? "none" : string.Join(", ", document.Parameters.Select(p => p.Name)))}.", definition.Parameter.Name);
        if (request.FixedParameters.ContainsKey(definition.Parameter.Name))
            throw new SearchDefinitionException("SearchParameterFixed", definition.Parameter.Name + ".min",
                $"'{definition.Parameter.Name}' is the searched parameter; it cannot also be fixed with -Parameters.", definition.Parameter.Name);
        foreach (var value in new[] { definition.Parameter.Minimum, definition.Parameter.Maximum })
            StrategyPlan.Compile(document, Overrides(request, value));
        if (request.ValidationData is null && request.TrainingData is null)
            throw new EngineException("SearchNeedsData", EngineErrorKind.InvalidArgument,
                "A search compares each trial's model with the reference on data: pass -ValidationData (or -Data).");
        var data = request.ValidationData ?? request.TrainingData!;
        Data.DatasetModelCheck.Require(data, request.Model);
        if (!File.Exists(TrialScriptPath(request.ModuleFolder)))
            throw new EngineException("SearchWorkerScriptNotFound", EngineErrorKind.NotInstalled,
                $"The trial script '{TrialScriptPath(request.ModuleFolder)}' is missing from the module folder; rebuild the module.", request.ModuleFolder);
    }

    private static Hashtable Overrides(SearchRequest request, double value)
    {
        var overrides = new Hashtable(StringComparer.Ordinal);
        foreach (var (k, v) in request.FixedParameters) overrides[k] = v;
        overrides[request.Definition.Parameter.Name] = value;
        return overrides;
    }

    private static void PrepareFolder(string folder, SearchRequest request)
    {
        var journal = Path.Combine(folder, TrialJournal.FileName);
        if (File.Exists(journal) && !request.Resume)
        {
            if (!request.Force)
                throw new EngineException("SearchExists", EngineErrorKind.ResourceExists,
                    $"'{folder}' already holds a search; use -Resume to continue it or -Force to start over.", folder);
            foreach (var file in new[] { TrialJournal.FileName, BestStrategyFile, ChartFile, Path.ChangeExtension(ChartFile, ".svg") })
                if (File.Exists(Path.Combine(folder, file))) File.Delete(Path.Combine(folder, file));
            foreach (var dir in new[] { TrialsFolder, SearchInputs.FolderName, "slurm" })
                if (Directory.Exists(Path.Combine(folder, dir))) Directory.Delete(Path.Combine(folder, dir), recursive: true);
        }
        if (request.Resume && !File.Exists(journal))
            throw new EngineException("SearchJournalNotFound", EngineErrorKind.ObjectNotFound,
                $"There is no search to resume in '{folder}' (no {TrialJournal.FileName}); run it without -Resume.", folder);
        if (File.Exists(folder))
            throw new EngineException("OutputIsFile", EngineErrorKind.InvalidArgument, $"'{folder}' is a file; the search needs a folder.", folder);
        Directory.CreateDirectory(folder);
    }

    /// <summary>After the journal's trials and any trial folder a killed search left behind.</summary>
    private static int NextNumber(string folder, TrialJournal journal)
    {
        int max = journal.Trials.Select(t => t.Number).DefaultIfEmpty(0).Max();
        var trials = Path.Combine(folder, TrialsFolder);
        if (Directory.Exists(trials))
            foreach (var dir in Directory.GetDirectories(trials))
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) max = Math.Max(max, n);
        return max + 1;
    }

    private static Running NewTrial(SearchRequest request, SearchInputs inputs, string search, int number, SearchProposal proposal)
    {
        var dir = Path.Combine(Path.GetFullPath(request.Folder), TrialsFolder, number.ToString("0000", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var parameters = new OrderedSettings();
        foreach (var (k, v) in request.FixedParameters) parameters.Add(k, v);
        parameters.Add(request.Definition.Parameter.Name, proposal.Value);
        string Relative(string path) => Path.GetRelativePath(dir, path);
        var spec = new TrialSpec
        {
            Search = search,
            Number = number,
            Strategy = Relative(inputs.Strategy),
            Model = Relative(inputs.Model),
            TrainingData = inputs.TrainingData is null ? null : Relative(inputs.TrainingData),
            ValidationData = inputs.ValidationData is null ? null : Relative(inputs.ValidationData),
            Parameters = parameters,
            MeasureTorchScript = request.Definition.Objective.Metric == ObjectiveMetric.TorchScriptBytes,
            MeasureIterations = request.MeasureIterations,
        };
        spec.Write(Path.Combine(dir, TrialSpec.FileName));
        var job = new WorkerJob($"trial-{number}", dir, new[] { TrialScriptPath(request.ModuleFolder), "-Spec", TrialSpec.FileName })
        {
            ResultFile = TrialResult.FileName,
            Environment = new Dictionary<string, string>
            {
                ["CONDENSAPS_THREADS"] = request.WorkerThreads.ToString(CultureInfo.InvariantCulture),
                ["CONDENSAPS_MODULE_PATH"] = request.ModuleFolder,
            },
        };
        return new Running(number, proposal, parameters, job, 1, DateTimeOffset.UtcNow, null);
    }

    private static void Submit(IJobExecutor executor, IReadOnlyList<Running> batch, OperationContext context)
    {
        var tasks = executor.Submit(batch.Select(b => b.Job).ToList(), context.Cancellation);
        for (int i = 0; i < batch.Count; i++) batch[i].Outcome = tasks[i];
        context.Log($"Submitted {string.Join(", ", batch.Select(b => $"trial {b.Number} ({b.Proposal.Stage}, {F(b.Proposal.Value)}: {b.Proposal.Reason})"))} to {executor.Name}.");
    }

    /// <summary>A finished job as a trial: the worker's result, or the death of its second worker.</summary>
    private static SearchTrial Record(SearchRequest request, string search, Running done, JobOutcome outcome)
    {
        var definition = request.Definition;
        var common = new SearchTrial
        {
            Search = search,
            Number = done.Number,
            Parameter = definition.Parameter.Name,
            Value = done.Proposal.Value,
            Parameters = done.Parameters,
            Stage = done.Proposal.Stage,
            Reason = done.Proposal.Reason,
            Status = TrialStatus.Died,
            Started = done.Started,
            Finished = DateTimeOffset.UtcNow,
            Elapsed = outcome.Elapsed,
            Attempts = done.Attempt,
            Worker = outcome.Worker,
            LogPath = done.Job.LogPath,
        };
        if (outcome.State == JobState.Died)
            return With(common, TrialStatus.Died, errorId: "WorkerDied", error: $"The worker died twice ({outcome.Detail}); see {done.Job.LogPath}.");
        TrialResult result;
        try
        {
            result = TrialResult.Read(done.Job.ResultPath);
        }
        catch (EngineException e)
        {
            return With(common, TrialStatus.Failed, errorId: e.ErrorId, error: e.Message);
        }
        if (!result.Succeeded)
            return With(common, TrialStatus.Failed, errorId: result.ErrorId, error: result.Error);
        var draft = With(common, TrialStatus.Succeeded, metrics: result.Metrics,
            model: result.Model is null ? null : Path.Combine(done.Job.WorkingDirectory, result.Model), history: result.History);
        var constraints = draft.ConstraintValues(definition);
        double? objective = result.Metrics.TryGetValue(TrialMetrics.Of(definition.Objective.Metric), out var o) ? o : null;
        return With(draft, TrialStatus.Succeeded, metrics: result.Metrics, model: draft.ModelPath, history: result.History,
            feasible: constraints is not null && definition.IsFeasible(constraints), objective: objective, elapsed: result.Elapsed);
    }

    private static SearchTrial With(SearchTrial t, TrialStatus status, string? errorId = null, string? error = null,
        IReadOnlyDictionary<string, double>? metrics = null, string? model = null, IReadOnlyList<History.HistoryStep>? history = null,
        bool feasible = false, double? objective = null, TimeSpan? elapsed = null) => new()
    {
        Search = t.Search, Number = t.Number, Parameter = t.Parameter, Value = t.Value, Parameters = t.Parameters, Stage = t.Stage, Reason = t.Reason,
        Status = status, Feasible = feasible, Metrics = metrics ?? t.Metrics, Objective = objective, Elapsed = elapsed ?? t.Elapsed,
        Started = t.Started, Finished = t.Finished, ModelPath = model, History = history ?? t.History,
        ErrorId = errorId, Error = error, Attempts = t.Attempts, Worker = t.Worker, LogPath = t.LogPath,
    };

    private static SearchResult Finish(SearchRequest request, ISearchAlgorithm algorithm, IJobExecutor executor, StrategyDocument document, string strategyText,
        string folder, TrialJournal journal, int run, int resumed, string finishedBecause, TimeSpan elapsed, OperationContext context)
    {
        var definition = request.Definition;
        var trials = journal.Trials.OrderBy(t => t.Number).ToList();
        var boundary = algorithm.EstimateBoundary(definition, trials.Select(t => t.Observation(definition)).ToList());
        var feasible = trials.Where(t => t.Feasible && t.Objective is not null).ToList();
        var best = feasible.OrderByDescending(t => definition.Objective.Score(t.Objective!.Value)).ThenByDescending(t => t.Value).FirstOrDefault();
        string message;
        CompressionModel? bestModel = null;
        string? bestStrategy = null, bestStrategyPath = null;
        if (best is not null)
        {
            message = string.Create(CultureInfo.InvariantCulture,
                $"{definition.Parameter.Name}={F(best.Value)} meets {string.Join(" and ", definition.Constraints)} with {definition.Objective.Key} {best.Objective:G6} (trial {best.Number} of {trials.Count}).");
            var values = new OrderedSettings();
            foreach (var (k, v) in best.Parameters) values.Add(k, v);
            bestStrategy = FixedStrategy.Write(strategyText, values,
                $"Found by Find-CompressionStrategy: trial {best.Number} of search '{document.Name}' ({definition}).\n" +
                $"Replay: Invoke-CompressionStrategy -Path <this file> -Model <the same reference> -Data <the same training data>");
            bestStrategyPath = Path.Combine(folder, BestStrategyFile);
            AtomicFile.WriteAllText(bestStrategyPath, overwrite: true, bestStrategy);
            if (best.ModelPath is not null && File.Exists(best.ModelPath))
            {
                bestModel = ModelLoader.Load(best.ModelPath, new ModelLoadOptions { Name = $"{request.Model.Name}-{definition.Parameter.Name}{F(best.Value)}" }, context);
                bestModel.Reference = request.Model;
            }
        }
        else
        {
            var closest = trials.Where(t => t.Status == TrialStatus.Succeeded && t.ConstraintValues(definition) is not null)
                .OrderBy(t => definition.Slack(t.ConstraintValues(definition)!)).FirstOrDefault();
            best = closest;
            message = closest is null
                ? $"No trial produced figures ({trials.Count} trial(s), all failed); see the trials' errors."
                : string.Create(CultureInfo.InvariantCulture,
                    $"No trial met {string.Join(" and ", definition.Constraints)}; the closest was trial {closest.Number} ({definition.Parameter.Name}={F(closest.Value)}: {string.Join(", ", definition.Constraints.Select(c => $"{c.Key} {closest.Metric(TrialMetrics.Of(c.Metric)):G4}"))}).");
        }
        var charts = new List<string>();
        try
        {
            var png = request.ChartPath ?? Path.Combine(folder, ChartFile);
            charts.AddRange(Charts.SearchChart.Write(definition, trials, boundary, best is not null && best.Feasible ? best : null, png));
        }
        catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException or TypeInitializationException or DllNotFoundException)
        {
            context.Warn($"The search chart could not be drawn: {e.Message}");
        }
        return new SearchResult
        {
            Search = document.Name,
            Parameter = definition.Parameter.Name,
            Definition = definition.ToString(),
            Feasible = best is not null && best.Feasible,
            Message = message,
            BestTrial = best,
            BestModel = bestModel,
            BestModelPath = best is not null && best.Feasible ? best.ModelPath : null,
            BestStrategy = bestStrategy,
            BestStrategyPath = bestStrategyPath,
            Trials = trials,
            TrialsRun = run,
            TrialsResumed = resumed,
            Boundary = boundary,
            FinishedBecause = finishedBecause,
            Executor = executor.Name,
            Folder = folder,
            JournalPath = journal.Path,
            ChartPaths = charts,
            Elapsed = elapsed,
        };
    }

    private static string FixedText(IReadOnlyDictionary<string, object?> parameters) =>
        string.Join(", ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"));

    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>A trial in flight: its number, proposal, parameters, job, attempt and outcome task.</summary>
    private sealed record Running(int Number, SearchProposal Proposal, IReadOnlyDictionary<string, object?> Parameters, WorkerJob Job, int Attempt, DateTimeOffset Started, Task<JobOutcome>? Outcome)
    {
        public Task<JobOutcome>? Outcome { get; set; } = Outcome;
    }
}
