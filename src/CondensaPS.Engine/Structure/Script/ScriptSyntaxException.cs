namespace CondensaPS.Engine.Structure.Script;

/// <summary>Code in a TorchScript archive that the parser does not read: the file and line say where.</summary>
internal sealed class ScriptSyntaxException : Exception
{
    public ScriptSyntaxException(string file, int line, string message) : base($"{file}:{line}: {message}")
    {
        File = file;
        Line = line;
    }

    public string File { get; }
    public int Line { get; }
}
