namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// A TorchScript object as data.pkl stores it: its class's qualified name (<c>__torch__.torchvision.models.resnet.ResNet</c>),
/// its attributes in the order they were pickled (submodules, tensors, numbers, lists, None), and its dotted path from
/// the root module ("" for the root, "layer1.0.conv1" below it), which is also the prefix of its parameter names.
/// </summary>
internal sealed class ScriptObject
{
    private readonly List<KeyValuePair<string, object?>> _attributes = new();

    public ScriptObject(string className) => ClassName = className;

    public string ClassName { get; }
    public string Path { get; internal set; } = "";
    public IReadOnlyList<KeyValuePair<string, object?>> Attributes => _attributes;

    /// <summary>The module path of the class (before the class name) and the class name.</summary>
    public (string Module, string Name) SplitClassName()
    {
        int dot = ClassName.LastIndexOf('.');
        return dot < 0 ? ("", ClassName) : (ClassName[..dot], ClassName[(dot + 1)..]);
    }

    public bool TryGet(string name, out object? value)
    {
        foreach (var (k, v) in _attributes)
            if (k == name) { value = v; return true; }
        value = null;
        return false;
    }

    public void Set(string name, object? value)
    {
        for (int i = 0; i < _attributes.Count; i++)
            if (_attributes[i].Key == name) { _attributes[i] = new(name, value); return; }
        _attributes.Add(new(name, value));
    }

    /// <summary>This object and every object below it, depth first, in attribute order.</summary>
    public IEnumerable<ScriptObject> Descendants()
    {
        yield return this;
        foreach (var (_, v) in _attributes)
            if (v is ScriptObject child)
                foreach (var d in child.Descendants()) yield return d;
    }

    public override string ToString() => $"{(Path.Length == 0 ? "<root>" : Path)} ({ClassName})";
}

/// <summary>
/// A tensor as data.pkl refers to it: a view (offset, sizes, strides, in elements) into a storage that lives in the
/// archive as <c>data/&lt;key&gt;</c>. The data is not read until someone asks for it.
/// </summary>
internal sealed record ScriptTensorRecord(string StorageKey, string StorageType, string Location, long StorageElements,
    long Offset, IReadOnlyList<long> Shape, IReadOnlyList<long> Stride, bool RequiresGrad)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

    public override string ToString() => $"{StorageType}[{string.Join("x", Shape)}] at data/{StorageKey}";
}

/// <summary>
/// A list the TorchScript pickler wrote through one of torch.jit._pickle's typed builders (build_intlist,
/// build_doublelist, build_boollist, build_tensorlist): the builder's name is kept so the list is written back the same way.
/// </summary>
internal sealed record ScriptTypedList(string Builder, List<object?> Items);

/// <summary>A storage type global (torch.FloatStorage, ...), as it appears in persistent ids.</summary>
internal sealed record ScriptStorageType(string Name);

/// <summary>A dict or list the pickler tagged with its TorchScript type (torch.jit._pickle.restore_type_tag).</summary>
internal sealed record ScriptTaggedValue(object? Value, string Tag);
