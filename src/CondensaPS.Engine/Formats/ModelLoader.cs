using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>What Import-Model and New-Model were asked for.</summary>
public sealed record ModelLoadOptions
{
    public string? Architecture { get; init; }
    public int NumClasses { get; init; }
    public int InputChannels { get; init; }
    public int InputSize { get; init; }
    public IReadOnlyList<int>? HiddenSizes { get; init; }
    /// <summary>VGG: the adaptive average pool's side before the classifier (0: torchvision's 7).</summary>
    public int PoolSize { get; init; }
    public string? Device { get; init; }
    public ModelFileFormat? Format { get; init; }
    public string? Name { get; init; }
    public long? Seed { get; init; }
}

/// <summary>Loads model files into <see cref="CompressionModel"/> objects and makes fresh built-in models.</summary>
public static class ModelLoader
{
    public static CompressionModel Load(string path, ModelLoadOptions options, OperationContext? context = null)
    {
        context ??= OperationContext.None;
        TorchRuntime.EnsureInitialized();
        var full = Path.GetFullPath(path);
        var detected = ModelFileFormatDetector.Detect(full);
        var format = options.Format ?? detected;
        context.Log($"Reading '{full}' as {format}.");
        var device = ModelDevice.Parse(options.Device);
        var name = options.Name ?? Path.GetFileNameWithoutExtension(full);

        if (format == ModelFileFormat.TorchScript)
        {
            if (detected != ModelFileFormat.TorchScript)
                throw new EngineException("NotTorchScript", EngineErrorKind.InvalidData, $"'{full}' is a {detected} file, not a TorchScript archive.", full);
            if (options.Architecture != null)
                context.Log($"'{full}' is a TorchScript archive: it carries its own architecture; -Architecture {options.Architecture} is ignored.");
            ArchiveIntegrity.Verify(full);
            if (TorchScript.BuiltInTorchScript.Load(full, device, options.Name, context) is { } builtIn)
                return builtIn;
            bool traced;
            jit.ScriptModule<Tensor, Tensor> module;
            try
            {
                traced = TorchScriptArchive.IsTraced(full);
                module = jit.load<Tensor, Tensor>(full, device.type, device.index);
            }
            catch (Exception e) when (e is not EngineException)
            {
                throw new EngineException("InvalidTorchScript", EngineErrorKind.InvalidData, $"'{full}' could not be loaded as TorchScript: {FirstLine(e.Message)}", full, e);
            }
            if (traced) context.Log($"'{full}' was made by torch.jit.trace: its batch norm layers are frozen in the mode they were traced in.");
            var model = CompressionModel.FromTorchScript(module, name, full, traced, device);
            model.Program = Structure.ModelStructures.TryRead(full);
            return model;
        }

        if (format == ModelFileFormat.Compact)
        {
            if (detected != ModelFileFormat.Compact)
                throw new EngineException("NotCompactFile", EngineErrorKind.InvalidData, $"'{full}' is a {detected} file, not a compact (.cpz) model file.", full);
            if (options.Architecture != null)
                context.Log($"'{full}' is a compact file: it carries its own architecture; -Architecture {options.Architecture} is ignored.");
            return Compact.CompactReader.Load(full, device, options.Name, context);
        }

        ArchitectureSpec spec;
        if (!string.IsNullOrWhiteSpace(options.Architecture))
            spec = CreateSpec(options);
        else if (format == ModelFileFormat.SafeTensors && SafeTensorsArchitecture.Read(full) is { } recorded)
        {
            spec = recorded;
            context.Log($"'{full}' was written by Export-Model from a built-in {spec}; using that architecture.");
        }
        else
            throw new EngineException("ArchitectureRequired", EngineErrorKind.InvalidArgument,
                $"'{full}' holds weights only ({format}); name the architecture they belong to with -Architecture ({string.Join(", ", ArchitectureRegistry.Names)}).", full);
        var state = StateDictReader.Read(full, format, context.Log);
        var records = new Dictionary<string, QuantizationState>(StringComparer.Ordinal);
        try
        {
            // Tensors stored at a lower precision (F16, BF16, int8 with scales) come back as quantization records.
            if (format == ModelFileFormat.SafeTensors) records = SafeTensorsQuantization.Decode(state, context.Log);
            // Narrower (slimmed) layers show in the tensors' shapes; where they make a consistent model of the
            // architecture that the weights fit, that is the model. Otherwise the mismatch is reported against the
            // architecture as named.
            if (StateDictWidths.Infer(spec, state) is { } narrowed)
            {
                try
                {
                    var model = Fit(narrowed, state, records, name, full, device, context);
                    context.Log($"'{full}' has layers of other widths than the default {spec.Name} ({string.Join(", ", narrowed.Widths.Take(8).Select(w => $"{w.Key} {w.Value}"))}{(narrowed.Widths.Count > 8 ? ", ..." : "")}); built it with those widths.");
                    return model;
                }
                catch (EngineException e) when (e.ErrorId == "StateDictMismatch") { }
            }
            return Fit(spec, state, records, name, full, device, context);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
            foreach (var r in records.Values) r.Dispose();
        }
    }

    private static CompressionModel Fit(ArchitectureSpec spec, IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, QuantizationState> records,
        string name, string full, Device device, OperationContext context)
    {
        var model = CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(spec), spec, name, full, device);
        try
        {
            StateDictFitter.Fit(model, state, full);
            foreach (var (tensorName, record) in records) model.Quantization[tensorName] = record.Clone(device);
            if (records.Count > 0)
                context.Log($"Restored the storage types of {records.Count} tensor(s): " +
                            string.Join(", ", records.Values.GroupBy(r => r.Type).Select(g => $"{g.Count()} {g.Key.ToDisplayName()}")) + ".");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A freshly initialised built-in model (seeded when a seed is given).</summary>
    public static CompressionModel New(ModelLoadOptions options)
    {
        TorchRuntime.EnsureInitialized();
        if (string.IsNullOrWhiteSpace(options.Architecture))
            throw new EngineException("ArchitectureRequired", EngineErrorKind.InvalidArgument, $"Name an architecture: {string.Join(", ", ArchitectureRegistry.Names)}.");
        var spec = CreateSpec(options);
        var device = ModelDevice.Parse(options.Device);
        if (options.Seed is long seed) random.manual_seed(seed);
        var source = options.Seed is long s ? $"new {spec.Name} (seed {s})" : $"new {spec.Name}";
        return CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(spec), spec, options.Name ?? spec.Name, source, device);
    }

    private static ArchitectureSpec CreateSpec(ModelLoadOptions options) => ArchitectureRegistry.CreateSpec(
        options.Architecture!, options.NumClasses, options.InputChannels, options.InputSize, options.HiddenSizes, options.PoolSize);

    internal static string FirstLine(string message)
    {
        var line = message.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? message;
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
