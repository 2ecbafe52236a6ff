using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Search;

/// <summary>What <see cref="SearchRunner"/> is asked to do.</summary>
public sealed record SearchRequest
{
    /// <summary>The strategy file (its search: section may have given <see cref="Definition"/>).</summary>
    public required string StrategyPath { get; init; }
    public required SearchDefinition Definition { get; init; }
    /// <summary>The reference model: every trial compresses it, and constraints are measured against it.</summary>
    public required CompressionModel Model { get; init; }
    public Dataset? TrainingData { get; init; }
    /// <summary>The data constraints are measured on (default: the training data).</summary>
    public Dataset? ValidationData { get; init; }
    /// <summary>Values for the strategy's other parameters.</summary>
    public IReadOnlyDictionary<string, object?> FixedParameters { get; init; } = new Dictionary<string, object?>();
    /// <summary>The search folder: inputs, journal, trial folders, best strategy, chart.</summary>
    public required string Folder { get; init; }
    /// <summary>Continue the journal in <see cref="Folder"/> without rerunning its trials.</summary>
    public bool Resume { get; init; }
    /// <summary>Start over when <see cref="Folder"/> holds a search (its files are removed).</summary>
    public bool Force { get; init; }
    /// <summary>The module folder: Jobs/SearchTrial.ps1 is there, and the workers import that module.</summary>
    public required string ModuleFolder { get; init; }
    /// <summary>Torch threads in each worker (CONDENSAPS_THREADS).</summary>
    public int WorkerThreads { get; init; } = 1;
    /// <summary>Where the chart goes (".png" and ".svg" beside each other); null: search.png in the folder.</summary>
    public string? ChartPath { get; init; }
    /// <summary>Timed batches per trial for throughput and latency.</summary>
    public int MeasureIterations { get; init; } = 20;
}
