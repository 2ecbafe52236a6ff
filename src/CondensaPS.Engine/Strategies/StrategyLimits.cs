namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Caps on what a strategy file may hold, so a huge or generated file is refused at once instead of parsed for
/// minutes into gigabytes (860,000 steps took 29.5 s and 2.7 GB before these caps). The caps in force are
/// <see cref="Current"/>, which Set-CondensaConfiguration -MaxStrategyFileBytes / -MaxStrategySteps change.
/// </summary>
public sealed record StrategyLimits
{
    /// <summary>1 MiB: a hand-written strategy is a few hundred bytes; the largest example is under 2 KB.</summary>
    public long MaxFileBytes { get; init; } = 1024 * 1024;

    /// <summary>1,000 steps: real strategies have a handful; a retrain step alone takes minutes.</summary>
    public int MaxSteps { get; init; } = 1000;

    public static StrategyLimits Default { get; } = new();

    /// <summary>The caps used by strategy reads in this process.</summary>
    public static StrategyLimits Current { get; set; } = Default;
}
