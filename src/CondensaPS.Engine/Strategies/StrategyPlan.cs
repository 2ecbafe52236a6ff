using System.Collections;
using System.Globalization;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// A strategy with its parameters substituted and every step checked by its operation's Validate: nothing runs
/// until the whole file is known to be good. Build one with <see cref="Compile"/>; run it with <see cref="StrategyRunner"/>.
/// </summary>
public sealed class StrategyPlan
{
    private StrategyPlan(StrategyDocument document, IReadOnlyDictionary<string, object?> parameters, IReadOnlyList<PlannedStep> steps)
    {
        Document = document;
        Parameters = parameters;
        Steps = steps;
    }

    public StrategyDocument Document { get; }
    /// <summary>The parameter values used: defaults with the caller's overrides.</summary>
    public IReadOnlyDictionary<string, object?> Parameters { get; }
    public IReadOnlyList<PlannedStep> Steps { get; }

    public static StrategyPlan Load(string path, IDictionary? overrides = null) => Compile(StrategyReader.Read(path), overrides);

    public static StrategyPlan Compile(StrategyDocument document, IDictionary? overrides = null)
    {
        var file = document.Path;
        var values = new OrderedSettings();
        var given = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (overrides != null)
        {
            foreach (DictionaryEntry entry in overrides)
            {
                var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
                if (!document.Parameters.Any(p => p.Name == key))
                    throw new StrategyException("StrategyUnknownParameter", file, document.ParametersMark.Line, document.ParametersMark.Column,
                        $"parameter '{key}' is not declared by strategy '{document.Name}'; declared: {(document.Parameters.Count == 0 ? "none" : string.Join(", ", document.Parameters.Select(p => p.Name)))}.", key);
                given[key] = NormalizeOverride(entry.Value);
            }
        }
        foreach (var p in document.Parameters) values.Add(p.Name, given.TryGetValue(p.Name, out var v) ? v : p.Default);

        var steps = new List<PlannedStep>();
        foreach (var step in document.Steps)
        {
            ICompressionOperation operation;
            try
            {
                operation = OperationRegistry.Get(step.Name);
            }
            catch (EngineException e) when (e.ErrorId == "UnknownStep")
            {
                throw new StrategyException("StrategyUnknownStep", file, step.Mark.Line, step.Mark.Column,
                    $"unknown step '{step.Name}'; steps: {string.Join(", ", OperationRegistry.Names)}.", step.Name);
            }
            var settings = new StepSettings(operation.StepName);
            foreach (var setting in step.Settings)
            {
                if (!operation.SettingKeys.Contains(setting.Key, StringComparer.OrdinalIgnoreCase))
                    throw new StrategyException("StrategyUnknownSetting", file, setting.KeyMark.Line, setting.KeyMark.Column,
                        $"step '{step.Name}' has no setting '{setting.Key}'; it takes: {string.Join(", ", operation.SettingKeys)}.", setting.Key);
                if (settings.Has(setting.Key))
                    throw new StrategyException("StrategyInvalid", file, setting.KeyMark.Line, setting.KeyMark.Column,
                        $"setting '{setting.Key}' is given twice.", setting.Key);
                settings.Set(setting.Key, StrategyValues.Resolve(file, setting.Value, values));
            }
            try
            {
                settings.RequireKnownKeys(operation.SettingKeys);
                operation.Validate(settings);
            }
            catch (StepSettingException e)
            {
                var at = step.Settings.FirstOrDefault(s => string.Equals(s.Key, e.Key, StringComparison.OrdinalIgnoreCase));
                var mark = at?.Value.Start ?? step.Mark;
                throw new StrategyException("StrategyInvalidSetting", file, mark.Line, mark.Column, e.Message, e.Target, e);
            }
            catch (EngineException e)
            {
                throw new StrategyException("StrategyInvalidSetting", file, step.Mark.Line, step.Mark.Column, $"step '{step.Name}': {e.Message}", e.Target, e);
            }
            steps.Add(new PlannedStep(operation, settings, step.Mark.Line, step.Mark.Column));
        }
        return new StrategyPlan(document, values, steps);
    }

    /// <summary>Override values from PowerShell or the command line: text is typed as a plain YAML scalar would be.</summary>
    private static object? NormalizeOverride(object? value) => value switch
    {
        string s => YamlScalars.ParsePlain(s),
        int or short or byte or uint or ushort or sbyte => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        Enum e => StepSettings.ToKebab(e.ToString()),
        IEnumerable e and not string => e.Cast<object?>().Select(NormalizeOverride).ToList(),
        _ => value,
    };
}

/// <summary>One validated step of a plan, with the line and column it came from.</summary>
public sealed record PlannedStep(ICompressionOperation Operation, StepSettings Settings, long Line, long Column)
{
    public string Name => Operation.StepName;
    public override string ToString() => $"{Name} ({string.Join(", ", Settings.Entries.Select(e => $"{e.Key}={e.Value}"))})";
}
