using System.Globalization;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Search.Trials;

namespace CondensaPS.Engine.Search;

/// <summary>
/// The end of a search: the best feasible trial and its model, the strategy with the parameters it found (a file that
/// Invoke-CompressionStrategy replays), every trial, the estimated feasible boundary, and where the journal and the
/// chart are. When no trial met the constraints, <see cref="Feasible"/> is false, <see cref="Message"/> says so and
/// <see cref="BestTrial"/> is the trial that came closest.
/// </summary>
public sealed class SearchResult
{
    public required string Search { get; init; }
    public required string Parameter { get; init; }
    /// <summary>The search settings in one line.</summary>
    public required string Definition { get; init; }
    /// <summary>Whether some trial met every constraint.</summary>
    public required bool Feasible { get; init; }
    public required string Message { get; init; }
    /// <summary>The best feasible trial by the objective; when nothing is feasible, the trial closest to feasible.</summary>
    public SearchTrial? BestTrial { get; init; }
    /// <summary>The parameter value of <see cref="BestTrial"/>.</summary>
    public double? BestValue => BestTrial?.Value;
    /// <summary>The best feasible model, imported from its trial's file, with the search's input model as its reference (null when nothing is feasible).</summary>
    public CompressionModel? BestModel { get; init; }
    public string? BestModelPath { get; init; }
    /// <summary>The strategy with its parameters fixed at the best trial's values (YAML text), and the file it was written to.</summary>
    public string? BestStrategy { get; init; }
    public string? BestStrategyPath { get; init; }
    public required IReadOnlyList<SearchTrial> Trials { get; init; }
    /// <summary>Trials run by this call (the others came from the journal).</summary>
    public int TrialsRun { get; init; }
    public int TrialsResumed { get; init; }
    public required FeasibleBoundary Boundary { get; init; }
    /// <summary>Why the search stopped.</summary>
    public required string FinishedBecause { get; init; }
    public required string Executor { get; init; }
    public required string Folder { get; init; }
    public required string JournalPath { get; init; }
    public IReadOnlyList<string> ChartPaths { get; init; } = Array.Empty<string>();
    public TimeSpan Elapsed { get; init; }

    public override string ToString() => BestTrial is { } best && Feasible
        ? string.Create(CultureInfo.InvariantCulture, $"{Search}: {Parameter}={best.Value:0.####} (trial {best.Number} of {Trials.Count}), objective {best.Objective:G6}; boundary {Boundary}")
        : $"{Search}: {Message}";
}
