using CondensaPS.Engine.Formats.Pickle;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Answers a TorchScript archive's data.pkl and constants.pkl: <c>__torch__</c> classes become <see cref="ScriptObject"/>s
/// filled by BUILD, tensors become <see cref="ScriptTensorRecord"/>s (their data stays in the archive), typed lists keep
/// their builder. Nothing else is allowed: this host never runs code from the archive.
/// </summary>
internal sealed class ScriptArchivePickleHost : IPickleHost
{
    private static readonly HashSet<string> ListBuilders = new(StringComparer.Ordinal)
    {
        "build_intlist", "build_doublelist", "build_boollist", "build_tensorlist",
    };

    private sealed record ClassRef(string Name);
    private sealed record Builtin(string Name, Func<object?[], object?> Invoke);
    private sealed record StorageRef(string Key, ScriptStorageType Type, string Location, long Elements);

    public object ResolveGlobal(string module, string name)
    {
        if (module == "__torch__" || module.StartsWith("__torch__.", StringComparison.Ordinal)) return new ClassRef(module + "." + name);
        var full = module + "." + name;
        switch (full)
        {
            case "torch._utils._rebuild_tensor_v2":
                return new Builtin(full, Rebuild);
            case "collections.OrderedDict":
                return new Builtin(full, args => args.Length == 0 ? new PyDict() : throw new PickleFormatException("OrderedDict with arguments in a TorchScript archive"));
            case "torch.jit._pickle.restore_type_tag":
                return new Builtin(full, args => args.Length == 2 && args[1] is string tag
                    ? new ScriptTaggedValue(args[0], tag)
                    : throw new PickleFormatException("restore_type_tag needs a value and a type string"));
        }
        if (module == "torch.jit._pickle" && ListBuilders.Contains(name))
            return new Builtin(full, args => args.Length == 1 && args[0] is List<object?> items
                ? new ScriptTypedList(name, items)
                : throw new PickleFormatException($"{name} needs one list"));
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal)) return new ScriptStorageType(name);
        throw new ScriptArchiveException($"its data.pkl contains a pickled '{full}', which CondensaPS does not read in TorchScript archives");
    }

    public object? PersistentLoad(object? id)
    {
        if (id is not PyTuple { Count: 5 } t || t[0] as string != "storage" || t[1] is not ScriptStorageType type
            || t[2] is not string key || t[3] is not string location || t[4] is not long elements)
            throw new PickleFormatException($"unexpected persistent id {id}");
        return new StorageRef(key, type, location, elements);
    }

    public object? Call(object? callable, object?[] args) => callable switch
    {
        ClassRef c when args.Length == 0 => new ScriptObject(c.Name),
        ClassRef c => throw new ScriptArchiveException($"its data.pkl builds '{c.Name}' with arguments, which TorchScript objects never take"),
        Builtin b => b.Invoke(args),
        _ => throw new PickleFormatException($"a call to a {PickleMachine.Describe(callable)}"),
    };

    public void Build(object? target, object? state)
    {
        if (target is not ScriptObject obj)
            throw new PickleFormatException($"BUILD on a {PickleMachine.Describe(target)}");
        if (state is not PyDict dict)
            throw new ScriptArchiveException($"'{obj.ClassName}' stores its state through __setstate__ ({PickleMachine.Describe(state)}), which CondensaPS does not read");
        foreach (var (key, value) in dict.Items)
            obj.Set(key as string ?? throw new PickleFormatException("an attribute name that is not a string"), value);
    }

    private static object Rebuild(object?[] args)
    {
        if (args.Length < 4 || args[0] is not StorageRef storage || args[1] is not long offset || args[2] is not PyTuple size || args[3] is not PyTuple stride)
            throw new PickleFormatException("_rebuild_tensor_v2 called with unexpected arguments");
        var shape = size.Items.Select(i => i is long l ? l : throw new PickleFormatException("a tensor size that is not an integer")).ToArray();
        var strides = stride.Items.Select(i => i is long l ? l : throw new PickleFormatException("a tensor stride that is not an integer")).ToArray();
        bool requiresGrad = args.Length > 4 && args[4] is true;
        return new ScriptTensorRecord(storage.Key, storage.Type.Name, storage.Location, storage.Elements, offset, shape, strides, requiresGrad);
    }
}

/// <summary>Content of a TorchScript archive that CondensaPS does not read (the message says what).</summary>
internal sealed class ScriptArchiveException : Exception
{
    public ScriptArchiveException(string message) : base(message) { }
}
