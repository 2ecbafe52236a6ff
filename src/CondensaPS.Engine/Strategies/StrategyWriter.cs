using System.Text;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;
using YamlDotNet.RepresentationModel;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Writes a model's history as a strategy file: one step per history step, with the settings it ran with (the
/// same vocabulary the cmdlets and strategies use), so replaying it on the same input gives the same model.
/// Settings that only concern memory (in-place) are left out.
/// </summary>
public static class StrategyWriter
{
    private static readonly HashSet<string> Omitted = new(StringComparer.OrdinalIgnoreCase) { "in-place" };

    /// <summary>Fails with HistoryEmpty when <paramref name="model"/> has no steps to write (checked before any file is touched).</summary>
    public static void CheckExportable(CompressionModel model) => CheckHistory(model.History, $"Model '{model.Name}'", model);

    private static void CheckHistory(IReadOnlyList<HistoryStep> history, string what, object? target)
    {
        if (history.Count == 0)
            throw new EngineException("HistoryEmpty", EngineErrorKind.InvalidOperation,
                $"{what} has no history to export: run a compression step (Invoke-Prune, Invoke-Quantize, ...) first.", target);
    }

    public static string ToYaml(IReadOnlyList<HistoryStep> history, string name, string? description = null)
    {
        CheckHistory(history, "The model", null);
        var root = new YamlMappingNode
        {
            { "version", new YamlScalarNode(StrategyReader.CurrentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            { "name", YamlScalars.Write(name) },
        };
        if (!string.IsNullOrEmpty(description)) root.Add("description", YamlScalars.Write(description));
        var steps = new YamlSequenceNode();
        foreach (var step in history)
        {
            var settings = new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow };
            foreach (var (key, value) in step.Settings)
            {
                if (value is null || Omitted.Contains(key)) continue;
                settings.Add(key, ToNode(value));
            }
            steps.Add(new YamlMappingNode { { step.Operation, settings } });
        }
        root.Add("steps", steps);
        var text = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
        var yaml = text.ToString().TrimEnd();
        if (yaml.EndsWith("...", StringComparison.Ordinal)) yaml = yaml[..^3].TrimEnd();
        return yaml + "\n";
    }

    /// <summary>Writes the model's history to <paramref name="path"/> atomically (overwriting only with <paramref name="overwrite"/>).</summary>
    public static void Export(CompressionModel model, string path, string? name = null, bool overwrite = false)
    {
        var header = new StringBuilder()
            .Append("# Exported by CondensaPS from the history of model '").Append(model.Name).Append("' (").Append(model.Source).Append(").\n")
            .Append("# Replay: Invoke-CompressionStrategy -Path <this file> -Model <the same input model>\n");
        CheckExportable(model);
        var yaml = ToYaml(model.History, name ?? Path.GetFileNameWithoutExtension(path));
        AtomicFile.WriteAllText(path, overwrite, header + yaml);
    }

    private static YamlNode ToNode(object value)
    {
        if (value is System.Collections.IEnumerable list and not string)
        {
            var seq = new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow };
            foreach (var item in list) seq.Add(YamlScalars.Write(item));
            return seq;
        }
        return YamlScalars.Write(value);
    }
}
