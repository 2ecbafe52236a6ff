using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// One module object of a TorchScript archive to be written: its class (a Python-style qualified name such as
/// <c>torch.nn.modules.conv.Conv2d</c>, <c>Final</c> constants and methods in TorchScript source) and its state
/// (parameters, buffers, plain attributes and submodules, in the order the class declares them and data.pkl stores
/// them). Methods are written with <see cref="Self"/> where the class's own qualified type belongs; the archive
/// writer fills it in once identical classes are merged and the others given PyTorch's <c>___torch_mangle_N</c> names.
/// </summary>
public sealed class TorchScriptModule
{
    /// <summary>Stands for the class's own qualified type in method source (<c>def forward(self: {self}, ...)</c>).</summary>
    public const string Self = "{self}";

    internal enum SlotKind { Parameter, Buffer, Attribute, Module }

    /// <summary>A parameter or buffer (a tensor, or null for an absent optional parameter), an attribute, or a submodule.</summary>
    internal sealed record Slot(string Name, SlotKind Kind, string Type, object? Value);

    private readonly List<Slot> _parameters = new();
    private readonly List<Slot> _buffers = new();
    private readonly List<Slot> _attributes = new();
    private readonly List<Slot> _modules = new();
    private readonly List<(string Name, string Type, string Literal)> _constants = new();
    private readonly List<string> _methods = new();

    /// <param name="qualifiedName">The class without the <c>__torch__.</c> prefix, e.g. <c>torchvision.models.resnet.ResNet</c>.</param>
    /// <param name="training">The module's training flag, as torch.jit.save stores it.</param>
    public TorchScriptModule(string qualifiedName, bool training)
    {
        int dot = qualifiedName.LastIndexOf('.');
        Namespace = dot < 0 ? "" : qualifiedName[..dot];
        ClassName = qualifiedName[(dot + 1)..];
        Training = training;
    }

    public string Namespace { get; }
    public string ClassName { get; }
    public bool Training { get; }

    internal IReadOnlyList<string> Methods => _methods;
    internal IReadOnlyList<(string Name, string Type, string Literal)> Constants => _constants;
    internal IEnumerable<Slot> Parameters => _parameters;
    internal IEnumerable<Slot> Buffers => _buffers;

    /// <summary>Every slot in declaration order: parameters, buffers, training, attributes, submodules.</summary>
    internal IEnumerable<Slot> Slots() => _parameters.Concat(_buffers)
        .Append(new Slot("training", SlotKind.Attribute, "bool", Training))
        .Concat(_attributes).Concat(_modules);

    internal IEnumerable<TorchScriptModule> Submodules => _modules.Select(m => (TorchScriptModule)m.Value!);

    /// <summary>A parameter; null declares an absent optional one (a convolution without bias).</summary>
    public TorchScriptModule Parameter(string name, Tensor? value)
    {
        _parameters.Add(new Slot(name, SlotKind.Parameter, value is null ? "Optional[Tensor]" : "Tensor", value));
        return this;
    }

    public TorchScriptModule Buffer(string name, Tensor value)
    {
        _buffers.Add(new Slot(name, SlotKind.Buffer, "Tensor", value));
        return this;
    }

    /// <summary>A plain attribute: <paramref name="value"/> is a bool, an int (long), a float (double) or null (NoneType).</summary>
    public TorchScriptModule Attribute(string name, string type, object? value)
    {
        _attributes.Add(new Slot(name, SlotKind.Attribute, type, value));
        return this;
    }

    public TorchScriptModule Submodule(string name, TorchScriptModule module)
    {
        _modules.Add(new Slot(name, SlotKind.Module, "", module));
        return this;
    }

    /// <summary>A class constant: <c>name : Final[type] = literal</c> (see <see cref="TorchScriptLiterals"/>).</summary>
    public TorchScriptModule Constant(string name, string type, string literal)
    {
        _constants.Add((name, type, literal));
        return this;
    }

    /// <summary>A method in TorchScript source, indented by two spaces, with <see cref="Self"/> for the class's type.</summary>
    public TorchScriptModule Method(string source)
    {
        _methods.Add(source);
        return this;
    }
}
