using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace CondensaPS.Cmdlets;

/// <summary>
/// Completes -Include/-Exclude/-Name with layer patterns: from the model bound to -InputObject/-Model when it is a
/// variable already set, otherwise with the usual first and last layer names of the built-in architectures.
/// </summary>
public sealed class ParameterNameCompleter : IArgumentCompleter
{
    private static readonly string[] Common = { "conv1.*", "fc.*", "fc1.*", "fc3.*", "layer1.*", "layer4.*", "*.weight" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var words = new List<string>();
        foreach (var key in new[] { "InputObject", "Model" })
        {
            var bound = fakeBoundParameters.Contains(key) ? fakeBoundParameters[key] : null;
            if ((bound is PSObject pso ? pso.BaseObject : bound) is Engine.Models.CompressionModel model && !model.IsDisposed)
                words.AddRange(Engine.Pruning.LayerInventory.List(model, allParameters: false).Select(l => l.Layer + ".*"));
        }
        if (words.Count == 0) words.AddRange(Common);
        return words.Distinct().Where(w => w.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(w => new CompletionResult(w.Contains(' ') ? $"'{w}'" : w, w, CompletionResultType.ParameterValue, w));
    }
}
