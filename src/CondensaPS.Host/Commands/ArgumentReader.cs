namespace CondensaPS.Host.Commands;

/// <summary>Reads <c>--name value</c> options one at a time; the modes of the command line share it.</summary>
public sealed class ArgumentReader
{
    private readonly IReadOnlyList<string> _arguments;
    private int _index = -1;

    public ArgumentReader(IReadOnlyList<string> arguments) => _arguments = arguments;

    /// <summary>The option just read.</summary>
    public string Current => _arguments[_index];

    /// <summary>Moves to the next option; false at the end.</summary>
    public bool MoveNext() => ++_index < _arguments.Count;

    /// <summary>The value that follows the current option.</summary>
    public string Value()
    {
        var option = Current;
        if (_index + 1 >= _arguments.Count) throw new UsageException($"{option} needs a value.");
        return _arguments[++_index];
    }

    /// <summary>A <c>name=value</c> pair that follows the current option.</summary>
    public (string Name, string Value) Pair()
    {
        var option = Current;
        var pair = Value();
        int eq = pair.IndexOf('=');
        if (eq <= 0) throw new UsageException($"{option} takes name=value, not '{pair}'.");
        return (pair[..eq], pair[(eq + 1)..]);
    }
}

/// <summary>The command line is wrong: the message says how, and the host prints the usage and exits 2.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
