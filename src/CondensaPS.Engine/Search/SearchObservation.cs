namespace CondensaPS.Engine.Search;

/// <summary>
/// What the search algorithm sees of a finished trial: the parameter value, whether the trial produced figures, its
/// constraint values (in <see cref="SearchDefinition.Constraints"/> order) and its objective value.
/// </summary>
public sealed record SearchObservation(double Value, bool Succeeded, IReadOnlyList<double>? ConstraintValues = null, double? ObjectiveValue = null)
{
    public bool IsFeasible(SearchDefinition definition) => Succeeded && ConstraintValues is { } v && definition.IsFeasible(v);
}

/// <summary>The stage a trial was proposed in.</summary>
public enum SearchStage
{
    /// <summary>The first points, before there is anything to fit.</summary>
    Initial,
    /// <summary>Looking for the largest value that meets the constraints (straddle on the constraint's GP).</summary>
    LevelSet,
    /// <summary>Optimising the objective inside the feasible range (expected improvement × probability of feasibility).</summary>
    Objective,
}

/// <summary>A point to evaluate next, with the stage and the acquisition value that chose it.</summary>
public sealed record SearchProposal(double Value, SearchStage Stage, string Reason);

/// <summary>
/// The algorithm's answer: points to run now, and whether it is finished (nothing more to learn within the budget).
/// No proposals and not finished means: wait for the pending trials.
/// </summary>
public sealed record SearchDecision(IReadOnlyList<SearchProposal> Proposals, bool Finished, string? FinishedBecause = null)
{
    public static SearchDecision Done(string because) => new(Array.Empty<SearchProposal>(), true, because);
    public static SearchDecision Wait { get; } = new(Array.Empty<SearchProposal>(), false);
}

/// <summary>
/// The estimated boundary of the feasible range: the largest value the constraint GP's mean says meets the
/// constraints (<see cref="Estimate"/>), the band where that is uncertain at 95% (<see cref="Lower"/>: confidently
/// feasible up to here; <see cref="Upper"/>: possibly feasible up to here), and the trials that bracket it.
/// </summary>
public sealed record FeasibleBoundary(
    string Parameter,
    double? Estimate,
    double? Lower,
    double? Upper,
    double? LargestFeasibleTrial,
    double? SmallestInfeasibleTrialAbove,
    bool Resolved)
{
    public override string ToString() => Estimate is { } e
        ? FormattableString.Invariant($"{Parameter} <= {e:0.####} (95% band {Lower:0.####}..{Upper:0.####}; trials {LargestFeasibleTrial:0.####} feasible, {SmallestInfeasibleTrialAbove:0.####} not){(Resolved ? "" : ", not resolved")}")
        : $"{Parameter}: no feasible value found";
}
