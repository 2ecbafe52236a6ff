namespace CondensaPS.Engine.Structure.Script;

/// <summary>The kinds of token in TorchScript's serialized Python subset.</summary>
internal enum ScriptTokenKind
{
    Name,
    Int,
    Float,
    String,
    Operator,
    Newline,
    Indent,
    Dedent,
    End,
}

/// <summary>One token, with its line (1-based) and its character span in the file.</summary>
internal readonly record struct ScriptToken(ScriptTokenKind Kind, string Text, int Line, int Start, int End, object? Value = null)
{
    public bool Is(string op) => (Kind == ScriptTokenKind.Operator || Kind == ScriptTokenKind.Name) && Text == op;

    public override string ToString() => Kind switch
    {
        ScriptTokenKind.Newline => "end of line",
        ScriptTokenKind.Indent => "indent",
        ScriptTokenKind.Dedent => "dedent",
        ScriptTokenKind.End => "end of file",
        _ => $"'{Text}'",
    };
}
