using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.History;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Models;

/// <summary>
/// A model flowing along a compression pipeline: a TorchSharp module (TorchScript or built-in) with its name, source,
/// masks, quantization, reference and history. Operations return new objects and leave their input untouched, so the
/// reference survives a pipeline. Raw TorchSharp collections are never exposed (PowerShell would enumerate them).
/// </summary>
public sealed class CompressionModel : IDisposable
{
    private readonly List<HistoryStep> _history = new();
    private long[]? _inputShape;
    private bool _disposed;

    private CompressionModel(nn.Module module, nn.IModule<Tensor, Tensor> callable, string name, string source, ArchitectureSpec? spec, bool isTorchScript, bool isTraced, Device device)
    {
        Module = module;
        Callable = callable;
        Name = name;
        Source = source;
        Spec = spec;
        IsTorchScript = isTorchScript;
        IsTraced = isTraced;
        TorchDevice = device;
    }

    public static CompressionModel FromBuiltIn(nn.Module<Tensor, Tensor> module, ArchitectureSpec spec, string name, string source, Device device)
    {
        module.to(device);
        module.eval();
        return new CompressionModel(module, module, name, source, spec, false, false, device);
    }

    public static CompressionModel FromTorchScript(jit.ScriptModule<Tensor, Tensor> module, string name, string source, bool isTraced, Device device)
    {
        module.to(device);
        module.eval();
        return new CompressionModel(module, module, name, source, null, true, isTraced, device);
    }

    /// <summary>The underlying module; engine code only.</summary>
    internal nn.Module Module { get; }
    /// <summary>The module's forward.</summary>
    internal nn.IModule<Tensor, Tensor> Callable { get; }
    internal Device TorchDevice { get; private set; }
    /// <summary>Pruning masks by parameter name (1 = kept, 0 = pruned), same shape and device as the parameter.</summary>
    internal Dictionary<string, Tensor> Masks { get; } = new(StringComparer.Ordinal);
    /// <summary>Quantized parameters by name.</summary>
    internal Dictionary<string, QuantizationState> Quantization { get; } = new(StringComparer.Ordinal);

    public string Name { get; set; }
    public string Source { get; }
    /// <summary>The built-in architecture and its settings; null for TorchScript models.</summary>
    public ArchitectureSpec? Spec { get; }
    public string Architecture => Spec?.Name ?? (IsTraced ? "torchscript (traced)" : "torchscript");
    public bool IsTorchScript { get; }
    /// <summary>Made by torch.jit.trace: batch norm is frozen in the mode it was traced in.</summary>
    public bool IsTraced { get; }
    public string Device => ModelDevice.ToText(TorchDevice);
    /// <summary>The model the compression started from: the teacher for retraining and the baseline for mismatches.</summary>
    public CompressionModel? Reference { get; set; }
    public IReadOnlyList<HistoryStep> History => _history;
    public bool IsDisposed => _disposed;

    /// <summary>Storage type of the weights: float32, float16, bfloat16, int8, cluster5 (a 5-bit codebook), or mixed.</summary>
    public string DType
    {
        get
        {
            var types = Quantization.Values.Select(q => q.DisplayName).Distinct().ToList();
            if (types.Count == 0) return "float32";
            return types.Count == 1 ? types[0] : "mixed";
        }
    }

    public long Parameters => NamedParameters().Sum(p => p.Tensor.numel());
    public long NonZeros { get { using var _ = NewDisposeScope(); return NamedParameters().Sum(p => p.Tensor.count_nonzero().item<long>()); } }
    public double Sparsity { get { var n = Parameters; return n == 0 ? 0 : 1.0 - (double)NonZeros / n; } }

    /// <summary>Bytes of parameters and buffers, dense, at their storage type (int8 scales and cluster codebooks included).</summary>
    public long SizeBytes
    {
        get
        {
            long bytes = 0;
            foreach (var (name, tensor) in NamedParameters())
            {
                if (Quantization.TryGetValue(name, out var q))
                    bytes += q.StorageBytes(tensor.numel());
                else
                    bytes += tensor.numel() * tensor.element_size();
            }
            foreach (var (name, buffer) in NamedBuffers())
                bytes += buffer.numel() * (Quantization.TryGetValue(name, out var q) ? q.Type.BytesPerElement() : buffer.element_size());
            return bytes;
        }
    }

    /// <summary>Bytes of parameters and buffers as dense fp32 (the uncompressed footprint).</summary>
    public long DenseBytes =>
        NamedParameters().Sum(p => p.Tensor.numel() * 4) + NamedBuffers().Sum(b => b.Tensor.numel() * b.Tensor.element_size());

    public IReadOnlyList<string> MaskedParameters => Masks.Keys.ToList();

    /// <summary>
    /// The shape of one input sample (e.g. 3, 224, 224): a built-in model's own, or what was given for a TorchScript
    /// model (by a step that needed it, or set here); null while unknown. Multiply-accumulates are counted at this size.
    /// </summary>
    public long[]? InputShape
    {
        get => _inputShape?.ToArray() ?? (Spec is null ? null : ArchitectureRegistry.SampleShape(Spec));
        set
        {
            if (value is not null && (value.Length is 0 or > 6 || value.Any(d => d < 1)))
                throw new EngineException("InvalidInputShape", EngineErrorKind.InvalidArgument,
                    $"'{string.Join(",", value)}' is not the shape of one sample: give 1 to 6 positive sizes, e.g. 3,224,224.", value);
            _inputShape = value?.ToArray();
        }
    }

    /// <summary>
    /// Multiply-accumulates of one sample at <see cref="InputShape"/> through the convolution and linear layers, as
    /// the structure analysis counts them; null when no input shape is known or the model's structure cannot be followed.
    /// </summary>
    public long? Macs
    {
        get
        {
            if (_disposed || InputShape is null) return null;
            try
            {
                return Structure().Macs;
            }
            catch (EngineException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// What the model is made of for one input size (<see cref="InputShape"/> when none is given): its layers with
    /// their multiply-accumulates and its groups of coupled channels, read from the model's own code. Throws
    /// ModelStructureNotUnderstood (naming the construct) when the code does things the analysis does not follow.
    /// </summary>
    public Structure.ModelStructure Structure(long[]? sampleShape = null) => Engine.Structure.ModelStructures.Of(this, sampleShape);

    /// <summary>The model's TorchScript program without weights (code and data.pkl), when already read; see <see cref="Engine.Structure.ModelStructures"/>.</summary>
    internal Structure.ScriptProgram? Program { get; set; }
    /// <summary>Structures already analysed, by input shape; shapes never change in place, so a copy keeps them.</summary>
    internal Dictionary<string, Structure.ModelStructure> Structures { get; } = new(StringComparer.Ordinal);

    public ModelFigures Figures() => new(Parameters, NonZeros, Sparsity, SizeBytes, DType);

    /// <summary>Dense fp32 bytes, compact-format bytes and their ratio, measured by encoding the model (a method: it takes time).</summary>
    public Formats.Compact.ModelFootprint Footprint() => Formats.Compact.ModelFootprint.Of(this);

    internal IEnumerable<(string Name, Tensor Tensor)> NamedParameters()
    {
        ThrowIfDisposed();
        foreach (var (name, p) in Module.named_parameters()) yield return (name, p);
    }

    internal IEnumerable<(string Name, Tensor Tensor)> NamedBuffers()
    {
        ThrowIfDisposed();
        foreach (var (name, b) in Module.named_buffers()) yield return (name, b);
    }

    internal Tensor Parameter(string name) =>
        NamedParameters().FirstOrDefault(p => p.Name == name).Tensor
        ?? throw new EngineException("ParameterNotFound", EngineErrorKind.ObjectNotFound, $"Model '{Name}' has no parameter '{name}'.", name);

    /// <summary>Runs the model on a batch (no gradients, eval mode unless the caller set otherwise).</summary>
    public Tensor Forward(Tensor input)
    {
        ThrowIfDisposed();
        return Callable.call(input.device == TorchDevice ? input : input.to(TorchDevice));
    }

    /// <summary>Sets pruned weights back to zero (after any update).</summary>
    public void ApplyMasks()
    {
        if (Masks.Count == 0) return;
        using var _ = no_grad();
        foreach (var (name, tensor) in NamedParameters())
            if (Masks.TryGetValue(name, out var mask)) tensor.mul_(mask);
    }

    public void AppendHistory(HistoryStep step) => _history.Add(step);

    /// <summary>
    /// A deep copy (weights, masks, quantization and history); the copy shares the reference. A TorchScript module is
    /// copied through its archive in memory (TorchSharp has no deep copy of a ScriptModule).
    /// </summary>
    public CompressionModel Clone(string? name = null)
    {
        ThrowIfDisposed();
        CompressionModel copy;
        if (IsTorchScript)
        {
            var module = Formats.ScriptModuleArchive.Copy((jit.ScriptModule)Module, TorchDevice);
            copy = FromTorchScript(module, name ?? Name, Source, IsTraced, TorchDevice);
        }
        else
        {
            var module = ArchitectureRegistry.Build(Spec!);
            copy = FromBuiltIn(module, Spec!, name ?? Name, Source, TorchDevice);
            CopyStateInto(copy);
        }
        CopyMetadataInto(copy);
        copy.Program = Program;
        foreach (var (k, v) in Structures) copy.Structures[k] = v;
        return copy;
    }

    /// <summary>
    /// A model around another TorchScript module (the same model with rewritten code), with this model's name,
    /// source, mode, masks, quantization, input shape, history and reference; its structure is read afresh.
    /// </summary>
    internal CompressionModel WithScriptModule(jit.ScriptModule<Tensor, Tensor> module)
    {
        ThrowIfDisposed();
        var copy = FromTorchScript(module, Name, Source, IsTraced, TorchDevice);
        CopyMetadataInto(copy);
        return copy;
    }

    /// <summary>
    /// A model around another built-in module of another spec (the same architecture with other layer widths), with
    /// this model's name, source, mode, masks, quantization, input shape, history and reference; tensors are the caller's.
    /// </summary>
    internal CompressionModel WithBuiltInModule(nn.Module<Tensor, Tensor> module, ArchitectureSpec spec)
    {
        ThrowIfDisposed();
        var copy = FromBuiltIn(module, spec, Name, Source, TorchDevice);
        CopyMetadataInto(copy);
        return copy;
    }

    private void CopyMetadataInto(CompressionModel copy)
    {
        if (Module.training) copy.Module.train(); else copy.Module.eval();
        foreach (var (k, v) in Masks) copy.Masks[k] = v.detach().clone();
        foreach (var (k, v) in Quantization) copy.Quantization[k] = v.Clone();
        copy._inputShape = _inputShape;
        copy._history.AddRange(_history);
        copy.Reference = Reference;
    }

    /// <summary>Copies parameter and buffer values into another model of the same structure.</summary>
    internal void CopyStateInto(CompressionModel target)
    {
        using var _ = no_grad();
        var targetParams = target.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor);
        foreach (var (n, t) in NamedParameters()) targetParams[n].copy_(t);
        var targetBuffers = target.NamedBuffers().ToDictionary(p => p.Name, p => p.Tensor);
        foreach (var (n, t) in NamedBuffers()) targetBuffers[n].copy_(t);
    }

    /// <summary>Moves the model (weights, masks, scales) to another device, in place.</summary>
    public void MoveTo(Device device)
    {
        ThrowIfDisposed();
        Module.to(device);
        foreach (var key in Masks.Keys.ToList()) { var old = Masks[key]; Masks[key] = old.to(device); if (!ReferenceEquals(old, Masks[key])) old.Dispose(); }
        foreach (var key in Quantization.Keys.ToList()) { var old = Quantization[key]; Quantization[key] = old.Clone(device); old.Dispose(); }
        TorchDevice = device;
    }

    public override string ToString() => $"{Name} [{Architecture}, {Device}, {DType}, sparsity {Sparsity:P1}]";

    private void ThrowIfDisposed()
    {
        if (_disposed)
            throw new EngineException("ModelDisposed", EngineErrorKind.InvalidOperation, $"Model '{Name}' has been disposed.", Name);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var m in Masks.Values) m.Dispose();
        foreach (var q in Quantization.Values) q.Dispose();
        Masks.Clear();
        Quantization.Clear();
        Module.Dispose();
    }
}
