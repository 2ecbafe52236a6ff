using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.LongTail;

/// <summary>What <see cref="MemorizationRunner"/> is asked to do.</summary>
public sealed record MemorizationRequest
{
    /// <summary>The architecture (fresh initialisation) or the starting weights (given) of every subset model.</summary>
    public required CompressionModel Model { get; init; }
    public required Dataset TrainingData { get; init; }
    /// <summary>Test examples to estimate influences on (null: memorisation scores only).</summary>
    public Dataset? TestData { get; init; }
    /// <summary>K: how many subset models.</summary>
    public required int SubsetCount { get; init; }
    public double SubsetRatio { get; init; } = MemorizationRecipe.DefaultSubsetRatio;
    /// <summary>The seed of the subsets; subset model k trains (and is initialised) with seed + k.</summary>
    public int Seed { get; init; }
    public int TopInfluences { get; init; } = MemorizationRecipe.DefaultTopInfluences;
    public MemorizationInitialization Initialization { get; init; } = MemorizationInitialization.Fresh;
    /// <summary>The retrain settings of each subset model (on top of <see cref="MemorizationRecipe.Defaults"/>).</summary>
    public StepSettings Recipe { get; init; } = new("retrain");
    /// <summary>The run's folder: inputs, one folder per subset model, memorization.json.</summary>
    public required string Folder { get; init; }
    /// <summary>Keep the subset models that finished in <see cref="Folder"/> and train only the others.</summary>
    public bool Resume { get; init; }
    /// <summary>Start over when <see cref="Folder"/> holds a run (its files are removed).</summary>
    public bool Force { get; init; }
    /// <summary>The module folder: Jobs/MemorizationSubset.ps1 is there, and the workers import that module.</summary>
    public required string ModuleFolder { get; init; }
    /// <summary>Torch threads in each worker (CONDENSAPS_THREADS).</summary>
    public int WorkerThreads { get; init; } = 1;
}
