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

    /// <summary>Every parameter and buffer record of the module tree, by full name ("layer1.0.conv1.weight").</summary>
    public IEnumerable<(string Name, ScriptObject Owner, string Attribute, ScriptTensorRecord Tensor)> Tensors()
    {
        foreach (var obj in Root.Descendants())
            foreach (var (attr, value) in obj.Attributes)
                if (value is ScriptTensorRecord t)
                    yield return (obj.Path.Length == 0 ? attr : obj.Path + "." + attr, obj, attr, t);
    }
}
