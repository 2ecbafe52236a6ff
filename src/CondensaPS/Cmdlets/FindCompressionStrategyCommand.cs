using System.Collections;
using System.Globalization;
using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Search;
using CondensaPS.Engine.Search.Trials;
using CondensaPS.Engine.Strategies;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>
/// <para type="synopsis">Searches a strategy's ratio for the best model that meets a constraint relative to the reference: Condensa's constrained Bayesian optimisation, each trial in a worker process, locally or on Slurm.</para>
/// </summary>
[Cmdlet(VerbsCommon.Find, "CompressionStrategy", SupportsShouldProcess = true)]
[OutputType(typeof(SearchTrial), typeof(SearchResult))]
public sealed class FindCompressionStrategyCommand : WorkerJobsCmdlet
{
    /// <summary>The strategy file; its search: section, if any, gives the defaults of the search settings.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The reference model (an object, or a path imported first): every trial compresses it.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("InputObject")]
    public object Model { get; set; } = null!;

    [Parameter]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string? Architecture { get; set; }

    /// <summary>Training data for the strategy's retrain steps.</summary>
    [Parameter]
    public Dataset? Data { get; set; }

    /// <summary>The data the constraints are measured on (default: -Data).</summary>
    [Parameter]
    public Dataset? ValidationData { get; set; }

    /// <summary>The searched parameter and its range: @{ ratio = 0.5, 0.99 } or @{ ratio = @{ Min = 0.5; Max = 0.99; Step = 0.01 } }.</summary>
    [Parameter]
    public Hashtable? Range { get; set; }

    /// <summary>Constraint: the accuracy may drop at most this many percentage points below the reference's.</summary>
    [Parameter]
    public double? MaxAccuracyDrop { get; set; }

    /// <summary>Constraint: at most this fraction of the samples may get a different label from the reference's (0.02 is 2%).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double? MaxMismatchRate { get; set; }

    /// <summary>Constraint: at most this many samples the reference classifies correctly may get another label.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int? MaxMismatchesReferenceRight { get; set; }

    /// <summary>What to optimise inside the feasible range (default: the search section's, else CompactBytes).</summary>
    [Parameter]
    public ObjectiveMetric? Objective { get; set; }

    [Parameter]
    [ValidateRange(1, SearchDefinition.MaxTrialsLimit)]
    public int MaxTrials { get; set; } = SearchDefinition.DefaultMaxTrials;

    /// <summary>The search folder (journal, trials, best strategy, chart); with -Executor Slurm, a folder the nodes share. Default: &lt;strategy name&gt;.search here.</summary>
    [Parameter]
    [Alias("SharedPath")]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>Values for the strategy's other parameters.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Continue the search in -OutputPath: finished trials are read from its journal and not run again.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Start over when -OutputPath already holds a search.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>The chart's PNG path (an SVG is written beside it); default: search.png in the search folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ChartPath { get; set; }

    protected override void ProcessRecord()
    {
        CompressionModel? loaded = null;
        try
        {
            var strategyPath = ResolveOutputPath(Path);
            var document = StrategyReader.Read(strategyPath);
            var definition = Definition(document);
            RequireSlurmForSlurmSettings();
            var folder = ResolveOutputPath(OutputPath ?? document.Name + ".search");
            var (throttle, workerThreads) = WorkerPlan();
            WriteVerbose($"Search '{document.Name}': {definition}; {throttle} trial(s) at once on {Executor}, {workerThreads} thread(s) each; folder '{folder}'.");
            if (!ShouldProcess(folder, $"Run a search of up to {definition.MaxTrials} trial(s) of strategy '{document.Name}'")) return;

            var model = ModelFromArgument(Model, Architecture, out loaded);

            var request = new SearchRequest
            {
                StrategyPath = strategyPath,
                Definition = definition,
                Model = model,
                TrainingData = Data,
                ValidationData = ValidationData,
                FixedParameters = FixedParameters(),
                Folder = folder,
                Resume = Resume,
                Force = Force,
                ModuleFolder = ModuleFolder,
                WorkerThreads = workerThreads,
                ChartPath = ChartPath is null ? null : ResolveOutputPath(ChartPath),
            };
            using var executor = NewExecutor(throttle, folder);
            var result = RunEngine($"Find-CompressionStrategy {document.Name}", (ctx, emit) =>
                SearchRunner.Run(request, executor, new ConstrainedBayesianSearch(), trial => emit(trial), ctx));
            if (!result.Feasible) WriteWarning(result.Message);
            WriteObject(result);
        }
        catch (EngineException e) when (e is SearchDefinitionException or StrategyException || e.ErrorId == "SlurmSettingWithoutSlurm")
        {
            // The search settings themselves are wrong: every model would fail alike.
            ThrowParameterError(e);
        }
        catch (EngineException e)
        {
            // About this model's search (its data, its folder, the executor): the next model still runs.
            WriteEngineError(e);
        }
        finally
        {
            loaded?.Dispose();
        }
    }

    /// <summary>The file's search section with this call's parameters on top.</summary>
    private SearchDefinition Definition(StrategyDocument document)
    {
        var fromFile = document.Search;
        SearchParameter parameter = Range is not null ? ParseRange(Range)
            : fromFile?.Parameter ?? throw new SearchDefinitionException("SearchNoRange", "range",
                $"Strategy '{document.Name}' has no search: section; give the searched parameter's range with -Range @{{ ratio = 0.5, 0.99 }}.");
        var constraints = new List<SearchConstraint>();
        if (MaxAccuracyDrop is { } drop) constraints.Add(new SearchConstraint(ConstraintMetric.AccuracyDrop, drop));
        if (MaxMismatchRate is { } rate) constraints.Add(new SearchConstraint(ConstraintMetric.MismatchRate, rate));
        if (MaxMismatchesReferenceRight is { } flips) constraints.Add(new SearchConstraint(ConstraintMetric.MismatchesReferenceRight, flips));
        if (constraints.Count == 0 && fromFile is not null) constraints.AddRange(fromFile.Constraints);
        var objective = Objective is { } o ? new SearchObjective(o) : fromFile?.Objective ?? new SearchObjective(ObjectiveMetric.CompactBytes);
        int maxTrials = MyInvocation.BoundParameters.ContainsKey(nameof(MaxTrials)) ? MaxTrials : fromFile?.MaxTrials ?? MaxTrials;
        if (constraints.Count == 0)
            throw new SearchDefinitionException("SearchNoConstraint", "constraints",
                "A search needs a constraint relative to the reference: -MaxAccuracyDrop, -MaxMismatchRate or -MaxMismatchesReferenceRight (or constraints: in the search section).");
        return SearchDefinition.Create(parameter, constraints, objective, maxTrials);
    }

    /// <summary>@{ ratio = 0.5, 0.99 } or @{ ratio = 0.5, 0.99, 0.01 } or @{ ratio = @{ Min = ..; Max = ..; Step = .. } }.</summary>
    private static SearchParameter ParseRange(Hashtable range)
    {
        if (range.Count != 1)
            throw new SearchDefinitionException("SearchOneParameter", "range",
                $"-Range names one parameter and its range, e.g. @{{ ratio = 0.5, 0.99 }}; it names {range.Count}.", range);
        var entry = range.Cast<DictionaryEntry>().First();
        var name = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
        var value = entry.Value is PSObject p ? p.BaseObject : entry.Value;
        double Number(object? v, string part) => (v is PSObject q ? q.BaseObject : v) switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            decimal m => (double)m,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            var other => throw new SearchDefinitionException("SearchInvalidRange", $"{name}.{part}", $"-Range: {part} of '{name}' must be a number, not '{other}'.", other),
        };
        switch (value)
        {
            case IDictionary map:
                object? Get(string key) => map.Keys.Cast<object>().FirstOrDefault(k => string.Equals(Convert.ToString(k, CultureInfo.InvariantCulture), key, StringComparison.OrdinalIgnoreCase)) is { } k ? map[k] : null;
                var min = Get("Min") ?? throw new SearchDefinitionException("SearchInvalidRange", name + ".min", $"-Range: the range of '{name}' needs Min and Max.", map);
                var max = Get("Max") ?? throw new SearchDefinitionException("SearchInvalidRange", name + ".max", $"-Range: the range of '{name}' needs Min and Max.", map);
                return new SearchParameter(name, Number(min, "min"), Number(max, "max"), Get("Step") is { } step ? Number(step, "step") : null);
            case IList list when list.Count is 2 or 3:
                return new SearchParameter(name, Number(list[0], "min"), Number(list[1], "max"), list.Count == 3 ? Number(list[2], "step") : null);
            default:
                throw new SearchDefinitionException("SearchInvalidRange", name + ".min",
                    $"-Range: the range of '{name}' is min, max (and optionally step), or @{{ Min = ..; Max = .. }}; got '{value}'.", value);
        }
    }

    private IReadOnlyDictionary<string, object?> FixedParameters()
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (Parameters is null) return values;
        foreach (DictionaryEntry e in Parameters)
            values[Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? ""] = e.Value is PSObject p ? p.BaseObject : e.Value;
        return values;
    }
}
