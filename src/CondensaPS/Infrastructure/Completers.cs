using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using CondensaPS.Engine.Architectures;

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
