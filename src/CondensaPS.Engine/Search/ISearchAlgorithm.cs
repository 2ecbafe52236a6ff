namespace CondensaPS.Engine.Search;

/// <summary>
/// Chooses the next trials of a search from the finished ones and those still running. Implementations are
/// deterministic functions of their inputs, so a resumed search makes the same choices as an uninterrupted one.
/// </summary>
public interface ISearchAlgorithm
{
    string Name { get; }

    /// <summary>Up to <paramref name="count"/> points to run now (never one already run or pending).</summary>
    SearchDecision Propose(SearchDefinition definition, IReadOnlyList<SearchObservation> finished, IReadOnlyList<double> pending, int count);

    /// <summary>Where the feasible range ends, as the finished trials show it.</summary>
    FeasibleBoundary EstimateBoundary(SearchDefinition definition, IReadOnlyList<SearchObservation> finished);
}
