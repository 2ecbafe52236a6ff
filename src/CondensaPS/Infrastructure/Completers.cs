using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Pruning;

namespace CondensaPS.Infrastructure;

/// <summary>Completes from a fixed list of words; subclasses name the list.</summary>
public abstract class WordCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<string> Words { get; }

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Words.Where(w => w.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
             .Select(w => new CompletionResult(w, w, CompletionResultType.ParameterValue, w));
}

public sealed class ArchitectureCompleter : WordCompleter
{
    protected override IEnumerable<string> Words => ArchitectureRegistry.Names;
}

public sealed class DeviceCompleter : WordCompleter
{
    protected override IEnumerable<string> Words => new[] { "cpu", "cuda", "cuda:0", "cuda:1" };
}

/// <summary>Completes -Loss values.</summary>
public sealed class LossCompleter : WordCompleter
{
    protected override IEnumerable<string> Words => new[] { "LabelPreserving", "PositiveCongruent", "CrossEntropy", "Distillation", "TeacherLabel", "LogitMse", "Margin", "FocalDistillation", "LogitDifference" };
}

/// <summary>
/// Completes -Include/-Exclude/-Name with layer patterns of the model the command will get: the model bound to
/// -InputObject/-Model/-Compressed; else the one the pipeline brings (<see cref="PipelineModelSource"/>: a variable's
/// model, or the architecture a New-Model or Import-Model earlier in the pipeline names); else the usual first and
/// last layer names of the built-in architectures.
/// </summary>
public sealed class ParameterNameCompleter : IArgumentCompleter
{
    private static readonly string[] Common = { "conv1.*", "fc.*", "fc1.*", "fc3.*", "layer1.*", "layer4.*", "*.weight" };
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> ArchitectureLayers = new(StringComparer.OrdinalIgnoreCase);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var words = Layers(BoundModel(fakeBoundParameters) ?? PipelineModelSource.Find(commandAst)) ?? Common;
        return words.Distinct().Where(w => w.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(w => new CompletionResult(w.Contains(' ') ? $"'{w}'" : w, w, CompletionResultType.ParameterValue, w));
    }

    private static object? BoundModel(IDictionary fakeBoundParameters)
    {
        foreach (var key in new[] { "InputObject", "Model", "Compressed" })
            if (fakeBoundParameters.Contains(key) && PipelineModelSource.ModelIn(fakeBoundParameters[key]) is { } model) return model;
        return null;
    }

    private static IReadOnlyList<string>? Layers(object? source) => source switch
    {
        CompressionModel { IsDisposed: false } model => Patterns(model),
        string architecture when ArchitectureRegistry.Names.Contains(architecture, StringComparer.OrdinalIgnoreCase) =>
            ArchitectureLayers.GetOrAdd(architecture, name =>
            {
                using var model = ModelLoader.New(new ModelLoadOptions { Architecture = name });
                return Patterns(model);
            }),
        _ => null,
    };

    private static IReadOnlyList<string> Patterns(CompressionModel model) =>
        LayerInventory.List(model, allParameters: false).Select(l => l.Layer + ".*").ToList();
}

/// <summary>
/// What reaches a command from the commands before it in its pipeline, as far as can be told without running any of
/// them, as PowerShell's own completers look at the pipeline: a variable's model (<c>$m | Get-ModelLayer</c>), or the
/// architecture that a New-Model or Import-Model -Architecture names, through any CondensaPS steps in between (they
/// keep the layer names).
/// </summary>
internal static class PipelineModelSource
{
    /// <summary>Commands that pass a model on with the same layers.</summary>
    private static readonly HashSet<string> PassThrough = new(StringComparer.OrdinalIgnoreCase)
    {
        "Invoke-Prune", "Invoke-Quantize", "Start-LabelPreservingRetrain", "Invoke-CompressionStrategy",
        "Export-Model", "Export-Strategy", "Where-Object", "Sort-Object", "Select-Object", "ForEach-Object",
    };

    /// <summary>A <see cref="CompressionModel"/> or an architecture name; null when the pipeline does not say.</summary>
    public static object? Find(CommandAst commandAst)
    {
        if (commandAst.Parent is not PipelineAst pipeline) return null;
        for (int i = pipeline.PipelineElements.IndexOf(commandAst) - 1; i >= 0; i--)
        {
            switch (pipeline.PipelineElements[i])
            {
                case CommandExpressionAst { Expression: VariableExpressionAst variable }:
                    return ModelIn(VariableValue(variable.VariablePath.UserPath));
                case CommandAst command:
                    var name = command.GetCommandName() is { } n ? n[(n.LastIndexOf('\\') + 1)..] : null;
                    if (string.Equals(name, "New-Model", StringComparison.OrdinalIgnoreCase))
                        return Argument(command, "Architecture", positional: true);
                    if (string.Equals(name, "Import-Model", StringComparison.OrdinalIgnoreCase))
                        return Argument(command, "Architecture", positional: false);
                    if (name is null || !PassThrough.Contains(name)) return null;
                    break;
                default:
                    return null;
            }
        }
        return null;
    }

    /// <summary>The first <see cref="CompressionModel"/> in a value (a model, a PSObject around one, or a list).</summary>
    public static CompressionModel? ModelIn(object? value)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        if (value is CompressionModel model) return model;
        if (value is IEnumerable items and not string)
            foreach (var item in items)
                if (ModelIn(item) is { } first) return first;
        return null;
    }

    /// <summary>A variable's value, read through a nested pipeline in the runspace the completion runs in.</summary>
    private static object? VariableValue(string name)
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            var found = ps.AddCommand("Get-Variable").AddParameter("Name", name).AddParameter("ValueOnly").AddParameter("ErrorAction", "Ignore").Invoke();
            return found.Count == 0 ? null : found.Count == 1 ? found[0] : found;
        }
        catch (Exception e) when (e is PSInvalidOperationException or RuntimeException)
        {
            return null; // no runspace to ask (a completion outside one): nothing to offer from it
        }
    }

    /// <summary>Switches a New-Model or Import-Model call may carry, which take no value.</summary>
    private static readonly HashSet<string> Switches = new(StringComparer.OrdinalIgnoreCase) { "Verbose", "Debug", "WhatIf", "Confirm" };

    /// <summary>A constant string argument of a parameter (by any unambiguous prefix of its name), or the first
    /// positional argument when <paramref name="positional"/>.</summary>
    private static string? Argument(CommandAst command, string parameter, bool positional)
    {
        var elements = command.CommandElements;
        string? firstPositional = null;
        for (int i = 1; i < elements.Count; i++)
        {
            if (elements[i] is CommandParameterAst p)
            {
                bool takesValue = p.Argument is null && !Switches.Contains(p.ParameterName);
                var value = p.Argument ?? (takesValue && i + 1 < elements.Count && elements[i + 1] is not CommandParameterAst ? elements[++i] : null);
                if (p.ParameterName.Length > 0 && parameter.StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase))
                    return (value as StringConstantExpressionAst)?.Value;
                continue;
            }
            firstPositional ??= (elements[i] as StringConstantExpressionAst)?.Value;
        }
        return positional ? firstPositional : null;
    }
}

/// <summary>Completes -ScoreName with the scores a memorisation result offers.</summary>
public sealed class ScoreNameCompleter : WordCompleter
{
    protected override IEnumerable<string> Words => CondensaPS.Engine.LongTail.ExampleScoreNames.All;
}
