namespace CondensaPS.Engine.Formats.Pickle;

/// <summary>A Python tuple read from a pickle (lists are <c>List&lt;object?&gt;</c>, None is null).</summary>
internal sealed class PyTuple
{
    public PyTuple(object?[] items) => Items = items;
    public object?[] Items { get; }
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
    public override string ToString() => "(" + string.Join(", ", Items.Select(i => i?.ToString() ?? "None")) + ")";
}

/// <summary>A Python dict (or OrderedDict) read from a pickle: insertion order kept, later keys replace earlier ones.</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;
    public int Count => _items.Count;

    /// <summary>Attributes set on the object (an OrderedDict's __dict__, e.g. a state dict's _metadata); kept, not used.</summary>
    public object? State { get; set; }

    public void Set(object? key, object? value)
    {
        if (key is null || key is List<object?> || key is PyDict)
            throw new PickleFormatException("a dict key is None, a list or a dict");
        if (key is PyTuple)
        {
            _items.Add(new(key, value)); // tuples compare by reference here; state dicts never use them as keys
            return;
        }
        if (_index.TryGetValue(key, out var i)) _items[i] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out var i)) { value = _items[i].Value; return true; }
        value = null;
        return false;
    }
}

/// <summary>A pickle that is damaged or does not follow the protocol.</summary>
internal sealed class PickleFormatException : Exception
{
    public PickleFormatException(string message) : base(message) { }
}

/// <summary>What the interpreter asks its host for: which globals exist, what persistent ids and calls mean.</summary>
internal interface IPickleHost
{
    /// <summary>The value a GLOBAL/STACK_GLOBAL names; throws for anything not on the host's list.</summary>
    object ResolveGlobal(string module, string name);

    /// <summary>The object a BINPERSID id stands for (PyTorch: a tensor storage inside the archive).</summary>
    object? PersistentLoad(object? id);

    /// <summary>REDUCE and NEWOBJ: calls a resolved global with arguments.</summary>
    object? Call(object? callable, object?[] args);

    /// <summary>BUILD: sets state on an object made by a call.</summary>
    void Build(object? target, object? state);
}
