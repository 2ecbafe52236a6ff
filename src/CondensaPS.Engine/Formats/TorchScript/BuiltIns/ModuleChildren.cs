using TorchSharp;

namespace CondensaPS.Engine.Formats.TorchScript.BuiltIns;

/// <summary>Shared steps of the built-in architectures' TorchScript: a module with every child converted, in module order.</summary>
internal static class ModuleChildren
{
    /// <summary>
    /// A module of class <paramref name="qualifiedName"/> holding each child of <paramref name="module"/> converted (by
    /// <paramref name="custom"/> or as a standard layer), in the order the TorchSharp module registered them, so the
    /// archive's parameters come in the model's order.
    /// </summary>
    public static TorchScriptModule Convert(string qualifiedName, torch.nn.Module module, Func<torch.nn.Module, TorchScriptModule?>? custom = null)
    {
        var converted = new TorchScriptModule(qualifiedName, module.training);
        foreach (var (name, child) in module.named_children())
            converted.Submodule(name, TorchScriptLayers.Convert(child, custom));
        return converted;
    }
}
