using System.Text;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Turns a module tree into TorchScript classes and source files as torch.jit.save lays them out: modules whose
/// classes read the same (same constants, attributes, submodule types and methods) share one class; the first class
/// of a name is <c>__torch__.ns.Name</c> in <c>code/__torch__/ns.py</c>, every other one of that name gets PyTorch's
/// mangled <c>__torch__.ns.___torch_mangle_N.Name</c> in <c>code/__torch__/ns/___torch_mangle_N.py</c>.
/// </summary>
internal sealed class TorchScriptClassTable
{
    private const string Root = "__torch__";
    private readonly Dictionary<string, string> _byBody = new(StringComparer.Ordinal);
    private readonly Dictionary<TorchScriptModule, string> _byModule = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _plainNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StringBuilder> _files = new(StringComparer.Ordinal);
    private int _mangle;

    public TorchScriptClassTable(TorchScriptModule root) => RootType = Add(root);

    /// <summary>The root module's qualified type, e.g. <c>__torch__.torchvision.models.resnet.ResNet</c>.</summary>
    public string RootType { get; }

    /// <summary>The source files, by path inside the archive (<c>code/__torch__/...py</c>), in the order first written.</summary>
    public IReadOnlyDictionary<string, string> Files => _files.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);

    /// <summary>The qualified type of a module of the tree.</summary>
    public string TypeOf(TorchScriptModule module) => _byModule[module];

    private string Add(TorchScriptModule module)
    {
        foreach (var child in module.Submodules) _byModule[child] = Add(child);
        var body = Body(module);
        var key = module.Namespace + "\n" + module.ClassName + "\n" + body;
        if (!_byBody.TryGetValue(key, out var type))
        {
            var plain = $"{module.Namespace}.{module.ClassName}";
            string ns = _plainNames.Add(plain) ? module.Namespace : $"{module.Namespace}.___torch_mangle_{_mangle++}";
            type = $"{Root}.{ns}.{module.ClassName}";
            var path = "code/" + (Root + "." + ns).Replace('.', '/') + ".py";
            if (!_files.TryGetValue(path, out var file)) _files[path] = file = new StringBuilder();
            file.Append($"class {module.ClassName}(Module):\n").Append(body.Replace(TorchScriptModule.Self, type, StringComparison.Ordinal));
            _byBody[key] = type;
        }
        _byModule[module] = type;
        return type;
    }

    /// <summary>The class body, with the class's own type still <see cref="TorchScriptModule.Self"/>.</summary>
    private string Body(TorchScriptModule module)
    {
        var text = new StringBuilder();
        text.Append("  __parameters__ = [").Append(string.Concat(module.Parameters.Select(p => $"\"{p.Name}\", "))).Append("]\n");
        text.Append("  __buffers__ = [").Append(string.Concat(module.Buffers.Select(p => $"\"{p.Name}\", "))).Append("]\n");
        foreach (var slot in module.Slots())
        {
            var type = slot.Kind == TorchScriptModule.SlotKind.Module ? _byModule[(TorchScriptModule)slot.Value!] : slot.Type;
            text.Append(TorchScriptLiterals.IsIdentifier(slot.Name)
                ? $"  {slot.Name} : {type}\n"
                : $"  __annotations__[\"{slot.Name}\"] = {type}\n");
        }
        foreach (var (name, type, literal) in module.Constants) text.Append($"  {name} : Final[{type}] = {literal}\n");
        foreach (var method in module.Methods) text.Append(method.TrimEnd('\n')).Append('\n');
        return text.ToString();
    }
}
