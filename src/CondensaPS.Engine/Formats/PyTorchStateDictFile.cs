using System.IO.Compression;
using CondensaPS.Engine.Formats.Pickle;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// Reads what <c>torch.save(model.state_dict(), f)</c> writes (PyTorch 1.6+): a zip with <c>&lt;root&gt;/data.pkl</c>
/// (a pickle of the dict, whose tensors refer to storages by persistent id), <c>&lt;root&gt;/data/&lt;key&gt;</c> (each
/// storage's raw bytes) and <c>&lt;root&gt;/byteorder</c>. The pickle is run by <see cref="PickleMachine"/> with a
/// host that allows only what a state dict or a training checkpoint of plain values needs. Checkpoints that wrap the
/// weights ({"state_dict": ...}, {"model": ...}, {"model_state_dict": ...}) and DataParallel's "module." prefix are
/// unwrapped.
/// </summary>
public static class PyTorchStateDictFile
{
    private static readonly string[] WrapperKeys = { "state_dict", "model", "model_state_dict", "module", "net" };

    public static Dictionary<string, Tensor> Read(string path, Action<string>? log = null)
    {
        TorchRuntime.EnsureInitialized();
        ArchiveIntegrity.Verify(path);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new EngineException("TruncatedArchive", EngineErrorKind.InvalidData, $"'{path}' is a damaged or truncated zip archive: {e.Message}", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelFileErrors.NotReadable(path, e);
        }
        using (zip)
        {
            var host = new TorchPickleHost(zip, path);
            try
            {
                var pickle = host.FindEntry("data.pkl") ?? throw Invalid(path, "the archive has no data.pkl");
                var byteOrder = host.FindEntry("byteorder");
                if (byteOrder != null)
                {
                    var order = System.Text.Encoding.ASCII.GetString(ReadAll(byteOrder)).Trim();
                    if (order != "little")
                        throw new EngineException("UnsupportedByteOrder", EngineErrorKind.NotSupported,
                            $"'{path}' was saved on a {order}-endian machine; CondensaPS reads little-endian archives only.", path);
                }
                var root = new PickleMachine(ReadAll(pickle), host).Run();
                var state = Unwrap(root, path, log);
                host.Keep(state.Values);
                return state;
            }
            catch (PickleFormatException e)
            {
                throw Invalid(path, "its data.pkl is damaged: " + e.Message, e);
            }
            catch (UnsupportedPickleOpcodeException e)
            {
                throw new EngineException("UnsupportedPickleContent", EngineErrorKind.NotSupported, $"'{path}' cannot be read: {e.Message}.", path, e);
            }
            catch (InvalidDataException e)
            {
                throw new EngineException("TruncatedArchive", EngineErrorKind.InvalidData, $"'{path}' is a damaged or truncated zip archive: {e.Message}", path, e);
            }
            finally
            {
                host.DisposeUnkept();
            }
        }
    }

    /// <summary>Finds the name -> tensor dict: the root itself, or under a checkpoint's wrapper key; strips "module.".</summary>
    private static Dictionary<string, Tensor> Unwrap(object? root, string path, Action<string>? log)
    {
        var dict = root as PyDict ?? throw new EngineException("StateDictNotFound", EngineErrorKind.InvalidData,
            $"'{path}' holds a {Describe(root)}, not a dict of tensors. Save the weights with torch.save(model.state_dict(), path).", path);
        if (!IsTensorDict(dict))
        {
            PyDict? inner = null;
            foreach (var key in WrapperKeys)
            {
                if (dict.TryGet(key, out var v) && v is PyDict d && IsTensorDict(d))
                {
                    log?.Invoke($"'{path}' is a checkpoint; reading the weights under its '{key}' entry.");
                    inner = d;
                    break;
                }
            }
            dict = inner ?? throw new EngineException("StateDictNotFound", EngineErrorKind.InvalidData,
                $"'{path}' holds a dict with keys {string.Join(", ", dict.Items.Take(12).Select(i => $"'{i.Key}'"))}{(dict.Count > 12 ? ", ..." : "")} " +
                $"but no dict of tensors at its top level or under {string.Join(", ", WrapperKeys.Select(k => $"'{k}'"))}.", path);
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var entries = dict.Items.Where(i => i.Value is Tensor).Select(i => ((string)i.Key, (Tensor)i.Value!)).ToList();
        bool prefixed = entries.Count > 0 && entries.All(e => e.Item1.StartsWith("module.", StringComparison.Ordinal));
        if (prefixed) log?.Invoke($"'{path}' was saved from a DataParallel model; removing the 'module.' prefix from its names.");
        foreach (var (name, tensor) in entries) result[prefixed ? name["module.".Length..] : name] = tensor;
        return result;
    }

    /// <summary>A dict whose keys are all strings and whose values are tensors (non-tensor extras such as _extra_state aside).</summary>
    private static bool IsTensorDict(PyDict d) =>
        d.Count > 0 && d.Items.All(i => i.Key is string) && d.Items.Any(i => i.Value is Tensor)
        && d.Items.Count(i => i.Value is Tensor) * 2 > d.Count;

    private static string Describe(object? o) => o switch
    {
        null => "None",
        Tensor => "single tensor",
        List<object?> => "list",
        PyTuple => "tuple",
        _ => o.GetType().Name,
    };

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        if (entry.Length > int.MaxValue)
            throw new EngineException("TensorTooLarge", EngineErrorKind.NotSupported, $"The archive entry '{entry.FullName}' is larger than 2 GB, which CondensaPS does not read.", entry.FullName);
        var bytes = new byte[entry.Length];
        using var s = entry.Open();
        s.ReadExactly(bytes);
        return bytes;
    }

    private static EngineException Invalid(string path, string why, Exception? inner = null) =>
        new("InvalidModelFile", EngineErrorKind.InvalidData, $"'{path}' is not a valid PyTorch state dict archive: {why}.", path, inner);

    /// <summary>A storage type global (torch.FloatStorage, ...): the element type of a storage.</summary>
    private sealed record StorageType(string Name, ScalarType DType);

    /// <summary>A dtype global (torch.float32, ...), as it may appear in metadata.</summary>
    private sealed record DTypeValue(string Name);

    /// <summary>A function global the host knows how to call.</summary>
    private sealed record Callable(string Name, Func<object?[], object?> Invoke);

    /// <summary>A type global (torch.Tensor, torch.nn.Parameter) used as an argument, never instantiated.</summary>
    private sealed record TypeMarker(string Name);

    /// <summary>A storage loaded from the archive: a flat tensor of its elements.</summary>
    private sealed record Storage(string Key, Tensor Flat);

    /// <summary>Answers the pickle's globals, persistent ids and calls for a PyTorch archive.</summary>
    private sealed class TorchPickleHost : IPickleHost
    {
        private static readonly Dictionary<string, (ScalarType Type, int Size)> StorageTypes = new()
        {
            ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8),
            ["HalfStorage"] = (ScalarType.Float16, 2), ["BFloat16Storage"] = (ScalarType.BFloat16, 2),
            ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
            ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1),
            ["ByteStorage"] = (ScalarType.Byte, 1), ["BoolStorage"] = (ScalarType.Bool, 1),
        };

        private static readonly HashSet<string> DTypeNames = new(StringComparer.Ordinal)
        {
            "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int",
            "int16", "short", "int8", "uint8", "bool",
        };

        private readonly ZipArchive _zip;
        private readonly string _path;
        private readonly string _root;
        private readonly Dictionary<string, Storage> _storages = new(StringComparer.Ordinal);
        private readonly List<Tensor> _made = new();
        private readonly HashSet<Tensor> _kept = new(ReferenceEqualityComparer.Instance);

        public TorchPickleHost(ZipArchive zip, string path)
        {
            _zip = zip;
            _path = path;
            var pkl = zip.Entries.Select(e => e.FullName).FirstOrDefault(n => n.EndsWith("data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') <= 1);
            _root = pkl is null ? "" : pkl[..^"data.pkl".Length];
        }

        public ZipArchiveEntry? FindEntry(string name) => _zip.GetEntry(_root + name);

        public void Keep(IEnumerable<Tensor> tensors) { foreach (var t in tensors) _kept.Add(t); }

        public void DisposeUnkept()
        {
            foreach (var t in _made) if (!_kept.Contains(t)) t.Dispose();
            foreach (var s in _storages.Values) s.Flat.Dispose();
        }

        public object ResolveGlobal(string module, string name)
        {
            var full = module + "." + name;
            switch (full)
            {
                case "collections.OrderedDict":
                    return new Callable(full, args =>
                    {
                        var d = new PyDict();
                        if (args.Length == 1 && args[0] is List<object?> pairs)
                            foreach (var p in pairs)
                                if (p is PyTuple { Count: 2 } kv) d.Set(kv[0], kv[1]);
                                else throw new PickleFormatException("OrderedDict given something other than pairs");
                        else if (args.Length != 0) throw new PickleFormatException("OrderedDict called with unexpected arguments");
                        return d;
                    });
                case "torch._utils._rebuild_tensor_v2":
                    return new Callable(full, args => args.Length >= 4 ? Rebuild(args[0], args[1], args[2], args[3]) : throw new PickleFormatException($"{full} needs at least 4 arguments"));
                case "torch._utils._rebuild_tensor":
                    return new Callable(full, args => args.Length == 4 ? Rebuild(args[0], args[1], args[2], args[3]) : throw new PickleFormatException($"{full} needs 4 arguments"));
                case "torch._utils._rebuild_parameter":
                case "torch._utils._rebuild_parameter_with_state":
                    return new Callable(full, args => args.Length >= 1 && args[0] is Tensor t ? t : throw new PickleFormatException($"{full} needs a tensor"));
                case "torch._tensor._rebuild_from_type_v2":
                    // (func, type, args, state): only for plain tensors and parameters; the state (attributes) is dropped.
                    return new Callable(full, args =>
                    {
                        if (args.Length < 3 || args[0] is not Callable f || args[1] is not TypeMarker || args[2] is not PyTuple a)
                            throw new PickleFormatException($"{full} called with unexpected arguments");
                        return f.Invoke(a.Items);
                    });
                case "torch.Tensor":
                case "torch.nn.parameter.Parameter":
                    return new TypeMarker(full);
                case "torch.Size":
                    return new Callable(full, args => args.Length == 1 && args[0] is PyTuple t ? t : new PyTuple(Array.Empty<object?>()));
            }
            if (module == "torch" && StorageTypes.TryGetValue(name, out var st)) return new StorageType(name, st.Type);
            if (module == "torch" && DTypeNames.Contains(name)) return new DTypeValue(name);
            throw Unsupported(full);
        }

        private EngineException Unsupported(string full) => new("UnsupportedPickleContent", EngineErrorKind.NotSupported,
            $"'{_path}' contains a pickled '{full}'. CondensaPS reads tensors and plain values (dicts, lists, numbers, strings) only, " +
            "and never runs code from a pickle. If the file holds a whole model (torch.save(model)), save its weights with " +
            "torch.save(model.state_dict(), path), or export it with torch.jit.script(model).save(path).", _path);

        public object? PersistentLoad(object? id)
        {
            if (id is not PyTuple { Count: >= 5 } t || t[0] as string != "storage")
                throw new PickleFormatException($"unexpected persistent id {id}");
            if (t[1] is not StorageType type) throw new PickleFormatException($"persistent id names storage type {t[1]}");
            var key = t[2] as string ?? throw new PickleFormatException("persistent id without a storage key");
            if (t[4] is not long numel || numel < 0) throw new PickleFormatException("persistent id without an element count");
            if (_storages.TryGetValue(key, out var known)) return known;
            var entry = FindEntry("data/" + key) ?? throw Invalid(_path, $"the storage 'data/{key}' is missing from the archive");
            var size = StorageTypes[type.Name].Size;
            if (numel > entry.Length || entry.Length < numel * size)
                throw new EngineException("TruncatedModelFile", EngineErrorKind.InvalidData,
                    $"'{_path}' is cut short: storage 'data/{key}' has {entry.Length} bytes, but {numel} {type.Name} elements need {numel * size}.", _path);
            var bytes = ReadAll(entry);
            var flat = empty(new[] { numel }, type.DType);
            if (numel > 0) flat.bytes = numel * size == bytes.Length ? bytes : bytes[..checked((int)(numel * size))];
            var storage = new Storage(key, flat);
            _storages[key] = storage;
            return storage;
        }

        /// <summary>A view into a storage (offset, sizes and strides in elements), copied into its own tensor.</summary>
        private Tensor Rebuild(object? storageObject, object? offsetObject, object? sizeObject, object? strideObject)
        {
            if (storageObject is not Storage storage) throw new PickleFormatException("a tensor without a storage");
            if (offsetObject is not long offset || offset < 0) throw new PickleFormatException("a tensor with a bad storage offset");
            var size = Longs(sizeObject, "size");
            var stride = Longs(strideObject, "stride");
            if (size.Length != stride.Length) throw new PickleFormatException("a tensor whose size and stride differ in rank");
            long numel = storage.Flat.numel();
            long last = offset, elements = 1;
            bool empty = size.Any(s => s == 0);
            try
            {
                for (int i = 0; i < size.Length; i++)
                {
                    if (size[i] < 0 || stride[i] < 0) throw new PickleFormatException("a tensor with a negative size or stride");
                    if (empty) continue;
                    last = checked(last + (size[i] - 1) * stride[i]);
                    elements = checked(elements * size[i]);
                }
            }
            catch (OverflowException)
            {
                throw new PickleFormatException($"a tensor of shape [{string.Join("x", size)}] whose extent overflows");
            }
            if (!empty && last >= numel)
                throw Invalid(_path, $"a tensor of shape [{string.Join("x", size)}] at offset {offset} reaches element {last} of storage '{storage.Key}', which has {numel}");
            // Strides of 0 repeat elements; copying such a view must not blow a small file up into terabytes.
            if (elements > Math.Max(numel, 1) * 1024 && elements > (1L << 28))
                throw Invalid(_path, $"a tensor of shape [{string.Join("x", size)}] repeats the {numel} elements of storage '{storage.Key}' implausibly often");
            Tensor result;
            if (empty) result = zeros(size, storage.Flat.dtype);
            else
            {
                using var view = storage.Flat.as_strided(size, stride, offset);
                result = view.clone();
                if (!result.is_contiguous())
                {
                    var packed = result.contiguous();
                    result.Dispose();
                    result = packed;
                }
            }
            _made.Add(result);
            return result;
        }

        private static long[] Longs(object? o, string what) => o is PyTuple t && t.Items.All(i => i is long)
            ? t.Items.Select(i => (long)i!).ToArray()
            : throw new PickleFormatException($"a tensor {what} that is not a tuple of integers");

        public object? Call(object? callable, object?[] args) => callable switch
        {
            Callable c => c.Invoke(args),
            TypeMarker m => throw Unsupported(m.Name),
            StorageType s => throw Unsupported("torch." + s.Name),
            _ => throw new PickleFormatException($"a call to a {PickleMachine.Describe(callable)}"),
        };

        public void Build(object? target, object? state)
        {
            switch (target)
            {
                case PyDict d: d.State = state; break; // an OrderedDict's attributes, e.g. a state dict's _metadata
                case Tensor: break; // a parameter's or tensor's Python attributes: not weights
                default: throw new PickleFormatException($"BUILD on a {PickleMachine.Describe(target)}");
            }
        }
    }
}
