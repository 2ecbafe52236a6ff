using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// A strategy file as read, before parameters are substituted: every part keeps its YAML node so that any later
/// error names the file, line and column it came from.
/// </summary>
public sealed class StrategyDocument
{
    public required string Path { get; init; }
    public required int Version { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<StrategyParameter> Parameters { get; init; }
    public required IReadOnlyList<StrategyStep> Steps { get; init; }
    /// <summary>The search the file describes (its <c>search:</c> section), or null.</summary>
    public Search.SearchDefinition? Search { get; init; }
    /// <summary>Where the search section is, when there is one.</summary>
    public Mark? SearchMark { get; init; }
    /// <summary>Where the parameters mapping is (or the document start when there is none).</summary>
    public required Mark ParametersMark { get; init; }
}

/// <summary>A declared parameter and its default value (a scalar or a list).</summary>
public sealed record StrategyParameter(string Name, object? Default, Mark Mark);

/// <summary>One step: its name, and its settings as YAML nodes (values still hold ${...} references).</summary>
public sealed record StrategyStep(string Name, Mark Mark, IReadOnlyList<StrategySetting> Settings);

/// <summary>One setting of a step: its key and value nodes.</summary>
public sealed record StrategySetting(string Key, Mark KeyMark, YamlNode Value);
