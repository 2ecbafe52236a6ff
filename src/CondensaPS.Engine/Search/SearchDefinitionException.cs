namespace CondensaPS.Engine.Search;

/// <summary>
/// A search definition is wrong (a range outside 0..1, a minimum above the maximum, an unknown objective or
/// constraint, ...). <see cref="Key"/> names the offending setting ("ratio.min", "objective") so that the strategy
/// reader can point at its line and column and a cmdlet at its parameter. ErrorIds (listed in
/// about_CondensaPS_Errors): SearchNoRange, SearchOneParameter, SearchInvalidRange, SearchRangeOutsideUnit,
/// SearchRangeReversed, SearchInvalidStep, SearchNoConstraint, SearchInvalidConstraint, SearchInvalidMaxTrials,
/// SearchParameterNotDeclared, SearchParameterFixed.
/// </summary>
public sealed class SearchDefinitionException : EngineException
{
    public SearchDefinitionException(string errorId, string key, string message, object? value = null)
        : base(errorId, EngineErrorKind.InvalidArgument, message, value)
    {
        Key = key;
    }

    /// <summary>The setting at fault: a parameter name with ".min", ".max" or ".step", "objective", "constraints.&lt;metric&gt;" or "max-trials".</summary>
    public string Key { get; }
}
