using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats.TorchScript.BuiltIns;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// TorchScript for the built-in architectures, written by CondensaPS (TorchSharp's ScriptModule.save writes its own
/// format, which PyTorch cannot read). The code is what torch.jit.script of torchvision's models serializes, in
/// PyTorch's style: torchvision's classes (ResNet, BasicBlock, Bottleneck, VGG, MobileNetV2, InvertedResidual,
/// Conv2dNormActivation; LeNet5 and Mlp under <c>condensaps.models</c>) and torch.nn's layers (Conv2d, BatchNorm2d,
/// Linear, ReLU, ReLU6, MaxPool2d, AdaptiveAvgPool2d, Dropout, Sequential), each module class with a forward
/// method that calls <c>torch.conv2d</c>, <c>torch.batch_norm</c>, <c>torch.linear</c>, <c>torch.add_</c>,
/// <c>torch.relu_</c>, ... on its own <c>self.weight</c>, <c>self.bias</c> and buffers, and submodules called as
/// <c>(conv1).forward(x, )</c>. Every width (in_channels, out_channels, num_features, in_features, out_features) is
/// read off the tensors, so a model with narrowed layers (<see cref="ArchitectureSpec.Widths"/>) is written as it is.
/// </summary>
public static class BuiltInTorchScript
{
    /// <summary>
    /// The TorchScript source files a built-in model of <paramref name="spec"/> exports as, by archive path
    /// (<c>code/__torch__/torchvision/models/resnet.py</c>, ...), and its root type. Builds a throwaway module of the
    /// spec (for a model at hand, <see cref="Code(CompressionModel)"/> avoids that).
    /// </summary>
    public static TorchScriptCode Code(ArchitectureSpec spec)
    {
        using var module = ArchitectureRegistry.Build(spec);
        return TorchScriptArchiveWriter.Code(Module(module, spec));
    }

    /// <summary>The TorchScript source files of a built-in model, as Export-Model writes them.</summary>
    public static TorchScriptCode Code(CompressionModel model) =>
        TorchScriptArchiveWriter.Code(Module(model.Module, RequireBuiltIn(model)));

    /// <summary>The module tree of a built-in module (holding its tensors, not copies).</summary>
    public static TorchScriptModule Module(nn.Module module, ArchitectureSpec spec) => spec.Name switch
    {
        "mlp" => SmallNetTorchScript.Mlp(module),
        "lenet5" => SmallNetTorchScript.LeNet5(module),
        "lenet5-caffe" => SmallNetTorchScript.LeNet5Caffe(module),
        "resnet18" or "resnet50" => ResNetTorchScript.Convert(module),
        "vgg16_bn" or "vgg19_bn" => VggTorchScript.Convert(module),
        "mobilenet_v2" => MobileNetV2TorchScript.Convert(module),
        _ => throw new EngineException("TorchScriptExportUnsupported", EngineErrorKind.NotSupported,
            $"CondensaPS cannot write architecture '{spec.Name}' as TorchScript.", spec.Name),
    };

    /// <summary>
    /// Writes a built-in model as a TorchScript archive named <paramref name="archiveName"/> (PyTorch uses the file
    /// name without extension), with the record Import-Model rebuilds the built-in model from (extra/condensaps.json).
    /// Weights are written as the model computes with them: float32, a quantized weight holding its rounded values.
    /// </summary>
    public static void Write(CompressionModel model, Stream stream, string archiveName)
    {
        TorchRuntime.EnsureInitialized();
        var root = Module(model.Module, RequireBuiltIn(model));
        var extra = new Dictionary<string, byte[]> { [BuiltInArchiveRecord.FileName] = BuiltInArchiveRecord.Write(model) };
        TorchScriptArchiveWriter.Write(stream, root, ArchiveName(archiveName), extra);
    }

    /// <summary>
    /// Reads a TorchScript archive written by <see cref="Write"/> back into the built-in model it came from (weights,
    /// masks, quantization, history), or returns null when the archive carries no CondensaPS record.
    /// </summary>
    public static CompressionModel? Load(string path, Device device, string? name, OperationContext context)
    {
        var record = BuiltInArchiveRecord.Read(path);
        if (record is null) return null;
        var model = CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(record.Spec), record.Spec,
            name ?? (string.IsNullOrEmpty(record.Name) ? Path.GetFileNameWithoutExtension(path) : record.Name), path, device);
        try
        {
            using (var scripted = jit.load(path, DeviceType.CPU))
            {
                var state = scripted.named_parameters().Select(p => (p.name, Tensor: (Tensor)p.parameter))
                    .Concat(scripted.named_buffers().Select(b => (b.name, Tensor: b.buffer)))
                    .ToDictionary(p => p.name, p => p.Tensor, StringComparer.Ordinal);
                StateDictFitter.Fit(model, state, path);
            }
            record.Restore(model);
            foreach (var step in record.History) model.AppendHistory(step);
            context.Log($"'{path}' was exported by CondensaPS from a built-in {record.Spec}; read it back as that model ({model.Masks.Count} masks, {model.Quantization.Count} quantized, {record.History.Count} history steps).");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static ArchitectureSpec RequireBuiltIn(CompressionModel model) => model.Spec
        ?? throw new EngineException("NotBuiltIn", EngineErrorKind.InvalidArgument, $"Model '{model.Name}' is TorchScript, not a built-in architecture.", model.Name);

    /// <summary>The archive's folder name: letters, digits, '_', '-' and '.' of <paramref name="name"/>, others as '_'.</summary>
    private static string ArchiveName(string name)
    {
        var clean = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray()).Trim('.');
        return clean.Length == 0 ? "archive" : clean;
    }
}
