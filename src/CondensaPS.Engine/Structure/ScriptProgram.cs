using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// A TorchScript model as its archive describes it, without its weights: the code files, the module objects of
/// data.pkl (tensors as shapes and storage references) and the constants. Classes and functions are parsed when first
/// needed. This is what the structure interpreter runs, and what slimming rewrites.
/// </summary>
internal sealed class ScriptProgram
{
    private readonly Dictionary<string, ScriptFile> _parsed = new(StringComparer.Ordinal);

    public ScriptProgram(IReadOnlyDictionary<string, string> code, ScriptObject root, IReadOnlyList<object?> constants)
    {
        Code = code;
        Root = root;
        Constants = constants;
    }

    /// <summary>Code file texts by path below code/ ("__torch__/torchvision/models/resnet.py").</summary>
    public IReadOnlyDictionary<string, string> Code { get; }
    public ScriptObject Root { get; }
    public IReadOnlyList<object?> Constants { get; }

    public static ScriptProgram Read(ScriptArchive archive) => new(archive.ReadCode(), archive.ReadModule(), archive.ReadConstants());

    /// <summary>The code file of a dotted module path ("__torch__.torch.nn.functional"), or null.</summary>
    public ScriptFile? File(string modulePath)
    {
        if (_parsed.TryGetValue(modulePath, out var file)) return file;
        var path = modulePath.Replace('.', '/') + ".py";
        if (!Code.TryGetValue(path, out var text)) return null;
        file = ScriptParser.Parse(text, "code/" + path);
        _parsed[modulePath] = file;
        return file;
    }

    /// <summary>A class by qualified name ("__torch__.torch.nn.modules.conv.Conv2d"), or null.</summary>
    public ScriptClass? Class(string qualifiedName)
    {
        int dot = qualifiedName.LastIndexOf('.');
        if (dot < 0) return null;
        var file = File(qualifiedName[..dot]);
        return file is not null && file.Classes.TryGetValue(qualifiedName[(dot + 1)..], out var c) ? c : null;
    }

    /// <summary>A module-level function by qualified name ("__torch__.torch.nn.functional.relu"), or null.</summary>
    public ScriptFunction? Function(string qualifiedName)
    {
        int dot = qualifiedName.LastIndexOf('.');
        if (dot < 0) return null;
        var file = File(qualifiedName[..dot]);
        return file is not null && file.Functions.TryGetValue(qualifiedName[(dot + 1)..], out var f) ? f : null;
    }

    /// <summary>
    /// The same program with some tensors of other shapes (contiguous, as slimming leaves them) and some code files
    /// replaced: what the archive of a slimmed model holds, without writing it.
    /// </summary>
    public ScriptProgram With(IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, string>? code = null)
    {
        var files = new Dictionary<string, string>(Code, StringComparer.Ordinal);
        foreach (var (path, text) in code ?? new Dictionary<string, string>()) files[path] = text;
        var copies = new Dictionary<ScriptObject, ScriptObject>(ReferenceEqualityComparer.Instance);
        return new ScriptProgram(files, Copy(Root, shapes, copies), Constants);
    }

    private static ScriptObject Copy(ScriptObject obj, IReadOnlyDictionary<string, long[]> shapes, Dictionary<ScriptObject, ScriptObject> copies)
    {
        if (copies.TryGetValue(obj, out var done)) return done;
        var copy = new ScriptObject(obj.ClassName) { Path = obj.Path };
        copies[obj] = copy;
        foreach (var (name, value) in obj.Attributes)
        {
            var full = obj.Path.Length == 0 ? name : obj.Path + "." + name;
            copy.Set(name, value switch
            {
                ScriptObject child => Copy(child, shapes, copies),
                ScriptTensorRecord t when shapes.TryGetValue(full, out var shape) => t with
                {
                    Shape = shape, Stride = ContiguousStrides(shape), Offset = 0, StorageElements = shape.Aggregate(1L, (a, b) => a * b),
                },
                _ => value,
            });
        }
        return copy;
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }
        return strides;
    }

    /// <summary>Every parameter and buffer record of the module tree, by full name ("layer1.0.conv1.weight").</summary>
    public IEnumerable<(string Name, ScriptObject Owner, string Attribute, ScriptTensorRecord Tensor)> Tensors()
    {
        foreach (var obj in Root.Descendants())
            foreach (var (attr, value) in obj.Attributes)
                if (value is ScriptTensorRecord t)
                    yield return (obj.Path.Length == 0 ? attr : obj.Path + "." + attr, obj, attr, t);
    }
}
