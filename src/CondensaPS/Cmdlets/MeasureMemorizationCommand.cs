using System.Collections;
using System.Globalization;
using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Execution;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>
/// <para type="synopsis">Estimates each training example's memorisation score and each test example's most influential training examples (Feldman and Zhang 2020) by training K models on random subsets of the training data, in worker processes, locally or on Slurm.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "Memorization", SupportsShouldProcess = true)]
[OutputType(typeof(MemorizationResult))]
public sealed class MeasureMemorizationCommand : WorkerJobsCmdlet
{
    /// <summary>The architecture of the subset models (a model object, or a path imported first); with -Initialization Given, also their starting weights.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("InputObject")]
    public object Model { get; set; } = null!;

    /// <summary>When -Model is a weights-only file: its built-in architecture.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string? Architecture { get; set; }

    /// <summary>The training examples to score; each subset model trains on a share of them.</summary>
    [Parameter(Mandatory = true)]
    public Dataset Data { get; set; } = null!;

    /// <summary>Test examples: their most influential training examples are estimated too.</summary>
    [Parameter]
    public Dataset? TestData { get; set; }

    /// <summary>K, the number of subset models (at least 2; Feldman and Zhang use thousands, 50 gives standard errors around 0.15).</summary>
    [Parameter(Mandatory = true)]
    [Alias("K")]
    public int SubsetCount { get; set; }

    /// <summary>The share of the training examples each subset model trains on, strictly between 0 and 1 (default 0.7).</summary>
    [Parameter]
    public double SubsetRatio { get; set; } = MemorizationRecipe.DefaultSubsetRatio;

    /// <summary>The seed of the subsets; subset model k is initialised and trained with seed + k.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>How many of the most influential training examples to keep per test example (default 5).</summary>
    [Parameter]
    public int TopInfluences { get; set; } = MemorizationRecipe.DefaultTopInfluences;

    /// <summary>Fresh: each subset model newly initialised (built-in architectures); Given: every one starts from -Model's weights.</summary>
    [Parameter]
    public MemorizationInitialization Initialization { get; set; } = MemorizationInitialization.Fresh;

    /// <summary>Retrain settings for the subset models, as a YAML retrain step names them: @{ epochs = 12; 'learning-rate' = 0.05 } (default: cross-entropy, 12 epochs, 0.05, cosine).</summary>
    [Parameter]
    public Hashtable? Recipe { get; set; }

    /// <summary>The run's folder (inputs, one folder per subset model, memorization.json); with -Executor Slurm, a folder the nodes share. Default: &lt;model name&gt;.memorization here.</summary>
    [Parameter]
    [Alias("SharedPath")]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>Continue the run in -OutputPath: subset models that finished are kept, the others train.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Start over when -OutputPath already holds a run.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }







    protected override void ProcessRecord()
    {
        CompressionModel? loaded = null;
        try
        {
            RequireSlurmForSlurmSettings();
            SubsetPlan.Validate(Data.Count, SubsetCount, SubsetRatio);
            var recipe = MemorizationRecipe.Resolve(RecipeSettings());

            var model = ModelFromArgument(Model, Architecture, out loaded);
            var folder = ResolveOutputPath(OutputPath ?? model.Name + ".memorization");
            var (throttle, workerThreads) = WorkerPlan();
            WriteVerbose(string.Create(CultureInfo.InvariantCulture,
                $"Memorisation of '{Data.Name}' by {model.Architecture}: {SubsetCount} subset models at {SubsetRatio:0.###}, {Initialization.ToString().ToLowerInvariant()} initialisation, recipe {MemorizationRecipe.Describe(recipe)}; {throttle} at once on {Executor}, {workerThreads} thread(s) each; folder '{folder}'."));
            if (!ShouldProcess(folder, $"Train {SubsetCount} subset models of {model.Architecture} and write their scores")) return;

            var request = new MemorizationRequest
            {
                Model = model,
                TrainingData = Data,
                TestData = TestData,
                SubsetCount = SubsetCount,
                SubsetRatio = SubsetRatio,
                Seed = Seed,
                TopInfluences = TopInfluences,
                Initialization = Initialization,
                Recipe = RecipeSettings(),
                Folder = folder,
                Resume = Resume,
                Force = Force,
                ModuleFolder = ModuleFolder,
                WorkerThreads = workerThreads,
            };
            using var executor = NewExecutor(throttle, folder);
            WriteObject(RunEngine("Measure-Memorization", ctx => MemorizationRunner.Run(request, executor, ctx)));
        }
        catch (EngineException e)
        {
            // Bad K, ratio, recipe or folder state are about the call itself: stop, as a parameter error does.
            ThrowParameterError(e);
        }
        finally
        {
            loaded?.Dispose();
        }
    }

    /// <summary>-Recipe as a retrain step's settings (keys as the YAML spells them; PowerShell arrays become lists).</summary>
    private StepSettings RecipeSettings()
    {
        var settings = new StepSettings("retrain");
        if (Recipe is null) return settings;
        foreach (DictionaryEntry e in Recipe)
            settings.Set(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", Unwrap(e.Value));
        return settings;
    }

    private static object? Unwrap(object? value) => value switch
    {
        PSObject p => Unwrap(p.BaseObject),
        object[] items => items.Select(Unwrap).ToList(),
        _ => value,
    };
}
