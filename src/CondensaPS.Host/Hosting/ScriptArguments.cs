using System.Management.Automation.Runspaces;
using System.Text.RegularExpressions;

namespace CondensaPS.Host.Hosting;

/// <summary>
/// Binds a script's command-line arguments as <c>pwsh -File</c> does: <c>-Name</c> is a parameter name that
/// PowerShell's binder pairs with the next argument unless the parameter is a switch, <c>-Name:value</c> is a name and
/// its value (<c>true</c>/<c>$false</c> become booleans), <c>-Name:</c> takes the next argument as its value, and every
/// other argument is positional. Unlike pwsh, a dash followed by something that cannot start a parameter name
/// (<c>-5</c>, <c>-</c>) is a value. Arguments that are not strings (from the tests) are positional as they are.
/// </summary>
public static class ScriptArguments
{
    public static IEnumerable<CommandParameter> Bind(IEnumerable<object?> arguments)
    {
        string? pending = null;
        foreach (var argument in arguments)
        {
            if (pending != null)
            {
                yield return new CommandParameter(pending, argument);
                pending = null;
            }
            else if (argument is string text && ParameterToken.IsMatch(text))
            {
                int colon = text.IndexOf(':');
                if (colon < 0) yield return new CommandParameter(text);
                else if (colon == text.Length - 1) pending = text[..colon];
                else yield return new CommandParameter(text[..colon], BooleanOrText(text[(colon + 1)..]));
            }
            else
            {
                yield return new CommandParameter(null, argument);
            }
        }
        if (pending != null) yield return new CommandParameter(pending);
    }

    private static readonly Regex ParameterToken = new(@"^-[A-Za-z_][A-Za-z0-9_]*(:.*)?$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    private static object BooleanOrText(string value) =>
        bool.TryParse(value.StartsWith('$') ? value[1..] : value, out var b) ? b : value;
}
