using System.Text;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Writes a TorchScript method in the style PyTorch prints scripted code: a submodule is fetched into a local
/// (<c>conv1 = self.conv1</c>, <c>_0 = getattr(self, "0")</c>) and called as <c>(conv1).forward(x, )</c>; each result
/// gets a fresh name (x0, x1, ...).
/// </summary>
internal sealed class ForwardWriter
{
    private readonly StringBuilder _body = new();
    private readonly string _prefix;
    private readonly HashSet<string> _locals = new(StringComparer.Ordinal);
    private int _next;

    /// <param name="argument">The method's tensor argument (PyTorch's modules name it <c>input</c>, torchvision's models <c>x</c>).</param>
    /// <param name="prefix">The stem of result names.</param>
    public ForwardWriter(string argument = "input", string? prefix = null)
    {
        Argument = argument;
        _prefix = prefix ?? argument;
        _locals.Add(argument);
    }

    public string Argument { get; }

    /// <summary>Reads an attribute of self into a local named after it; returns the local.</summary>
    public string Self(string attribute)
    {
        var local = Fresh(TorchScriptLiterals.IsIdentifier(attribute) ? attribute : "_" + attribute);
        _body.Append(TorchScriptLiterals.IsIdentifier(attribute)
            ? $"    {local} = self.{attribute}\n"
            : $"    {local} = getattr(self, \"{attribute}\")\n");
        return local;
    }

    /// <summary>Calls submodule <paramref name="attribute"/> on <paramref name="input"/>; returns the result's name.</summary>
    public string Call(string attribute, string input) => Let($"({Self(attribute)}).forward({input}, )");

    /// <summary>Binds <paramref name="expression"/> to a fresh name and returns it.</summary>
    public string Let(string expression)
    {
        var name = Fresh(_prefix);
        _body.Append($"    {name} = {expression}\n");
        return name;
    }

    /// <summary>Adds a line (a statement, already indented relative to the method body).</summary>
    public ForwardWriter Line(string statement)
    {
        _body.Append("    ").Append(statement).Append('\n');
        return this;
    }

    /// <summary>The method text: <c>def forward(self: {self}, input: Tensor) -> Tensor:</c>, the body, and the return.</summary>
    public string Method(string result, string name = "forward") =>
        $"  def {name}(self: {TorchScriptModule.Self},\n    {Argument}: Tensor) -> Tensor:\n{_body}    return {result}\n";

    private string Fresh(string stem)
    {
        if (_locals.Add(stem) && stem != _prefix) return stem;
        string name;
        do name = stem + _next++; while (!_locals.Add(name));
        return name;
    }
}
