using System.Globalization;
using CondensaPS.Engine.History;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// One trial of a search, as it streams to the pipeline and is journaled: the parameter values it ran with, every
/// metric its worker measured, whether it met the constraints, its objective, the time it took, the model file it
/// wrote and that model's history; or the error it ended with.
/// </summary>
public sealed class SearchTrial
{
    public required string Search { get; init; }
    /// <summary>1, 2, ... in the order the trials were started.</summary>
    public required int Number { get; init; }
    /// <summary>The searched parameter's name.</summary>
    public required string Parameter { get; init; }
    /// <summary>The searched parameter's value.</summary>
    public required double Value { get; init; }
    /// <summary>Every strategy parameter the trial ran with (the searched one and any fixed ones).</summary>
    public required IReadOnlyDictionary<string, object?> Parameters { get; init; }
    public required SearchStage Stage { get; init; }
    /// <summary>Why the algorithm chose this value (its acquisition value).</summary>
    public string? Reason { get; init; }
    public required TrialStatus Status { get; init; }
    /// <summary>Whether every constraint holds (false for a trial without figures).</summary>
    public bool Feasible { get; init; }
    /// <summary>Metric key to value (see <see cref="TrialMetrics"/>).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>The objective's value (in its own units), when measured.</summary>
    public double? Objective { get; init; }
    public TimeSpan Elapsed { get; init; }
    public DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; init; }
    /// <summary>The compressed model the trial wrote (compact format), when it succeeded.</summary>
    public string? ModelPath { get; init; }
    /// <summary>The compressed model's history: the strategy's steps with their settings and figures.</summary>
    public IReadOnlyList<HistoryStep> History { get; init; } = Array.Empty<HistoryStep>();
    public string? ErrorId { get; init; }
    public string? Error { get; init; }
    /// <summary>Worker processes started for this trial (2 when the first one died).</summary>
    public int Attempts { get; init; } = 1;
    /// <summary>Where it ran ("local pid 4242", "slurm 17_3 on node1").</summary>
    public string? Worker { get; init; }
    /// <summary>The worker's output.</summary>
    public string? LogPath { get; init; }

    public double? Metric(string key) => Metrics.TryGetValue(key, out var v) ? v : null;

    public double? Accuracy => Metric(TrialMetrics.Accuracy);
    public double? AccuracyDrop => Metric(TrialMetrics.AccuracyDrop);
    public double? MismatchRate => Metric(TrialMetrics.MismatchRate);
    public double? MismatchesReferenceRight => Metric(TrialMetrics.MismatchesReferenceRight);
    public double? CompactBytes => Metric(TrialMetrics.CompactBytes);

    /// <summary>The constraint values in the definition's order (null when the trial has no figures).</summary>
    public IReadOnlyList<double>? ConstraintValues(SearchDefinition definition)
    {
        if (Status != TrialStatus.Succeeded) return null;
        var values = new double[definition.Constraints.Count];
        for (int i = 0; i < values.Length; i++)
        {
            if (Metric(TrialMetrics.Of(definition.Constraints[i].Metric)) is not { } v) return null;
            values[i] = v;
        }
        return values;
    }

    /// <summary>What the search algorithm sees of this trial.</summary>
    public SearchObservation Observation(SearchDefinition definition)
    {
        var constraints = ConstraintValues(definition);
        return new SearchObservation(Value, constraints is not null, constraints, Objective);
    }

    public override string ToString() => Status switch
    {
        TrialStatus.Succeeded => string.Create(CultureInfo.InvariantCulture,
            $"trial {Number}: {Parameter}={Value:0.####} {(Feasible ? "feasible" : "infeasible")}, objective {Objective:G6}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"trial {Number}: {Parameter}={Value:0.####} {Status.ToString().ToLowerInvariant()}: {Error}"),
    };
}
