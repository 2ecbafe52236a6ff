using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Quantization;

/// <summary>
/// The "quantize" step. Float16/BFloat16: every floating parameter and floating buffer is rounded through that type
/// and kept as fp32 holding exactly the rounded values (integer buffers such as num_batches_tracked are untouched;
/// the module is never converted with .to, which would convert them too), and each parameter and floating buffer is
/// recorded as that storage type. Int8: the selected convolution and linear weights are quantized symmetrically
/// (per output channel by default) and recorded with their scales and axis for export. Cluster: the selected weights
/// share values, per layer (<see cref="ClusterQuantizer"/>): convolution and linear weights by default, any floating
/// parameter that an include pattern names (biases, batch-norm weights). Masks are re-applied, so pruned zeros stay
/// zero; include/exclude patterns narrow what is converted.
/// </summary>
public sealed class QuantizeOperation : ICompressionOperation
{
    public string StepName => "quantize";

    public IReadOnlyCollection<string> SettingKeys => QuantizeOptions.Keys;

    public void Validate(StepSettings settings) => QuantizeOptions.From(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var options = QuantizeOptions.From(settings);
        var output = options.IsInPlace ? input : input.Clone();
        try
        {
            if (!options.IsInPlace) output.Reference = input.Reference ?? input;
            return new OperationResult(output, Quantize(output, options, context));
        }
        catch
        {
            if (!options.IsInPlace) output.Dispose();
            throw;
        }
    }

    private static IReadOnlyDictionary<string, object?> Quantize(CompressionModel model, QuantizeOptions options, OperationContext context)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var selector = options.Selector;
        var type = options.StorageType;
        List<(string Name, Tensor Tensor)> targets;
        if (type == StorageType.Int8)
            targets = selector.Filter(model.NamedParameters().Where(p => ParameterSelector.IsCompressibleWeight(p.Name, p.Tensor))).ToList();
        else if (type == StorageType.Cluster)
            targets = selector.Filter(model.NamedParameters().Where(p => options.IncludePatterns.Count > 0
                ? p.Tensor.is_floating_point() : ParameterSelector.IsCompressibleWeight(p.Name, p.Tensor))).ToList();
        else
            targets = selector.Filter(model.NamedParameters().Concat(model.NamedBuffers()).Where(p => p.Tensor.is_floating_point())).ToList();
        if (targets.Count == 0)
            throw new EngineException("NothingToQuantize", EngineErrorKind.InvalidArgument,
                $"No tensor of model '{model.Name}' can be quantized to {type.ToDisplayName()}" +
                (options.IncludePatterns.Count + options.ExcludePatterns.Count > 0 ? " after include/exclude" : "") + ".", model.Name);

        bool perChannel = options.QuantizationGranularity == QuantizationGranularity.PerChannel;
        if (type == StorageType.Cluster) RequireEnoughMembers(model, targets, options);
        long elements = 0;
        foreach (var (name, tensor) in targets)
        {
            context.ThrowIfCancelled();
            QuantizationState state;
            if (type == StorageType.Int8)
            {
                var scale = Int8Quantizer.QuantizeInPlace(tensor, perChannel);
                var kept = scale.to(ScalarType.Float32).contiguous();
                kept.DetachFromDisposeScope();
                state = new QuantizationState(type, kept, perChannel ? 0 : -1);
            }
            else if (type == StorageType.Cluster)
            {
                context.Report(new OperationProgress("Quantize", $"k-means over '{name}'", (int)(100 * elements / Math.Max(1, targets.Sum(t => t.Tensor.numel())))));
                state = ClusterQuantizer.QuantizeInPlace(tensor, model.Masks.GetValueOrDefault(name), options.ClusterBits, options.ClusterInitialization);
            }
            else
            {
                tensor.copy_(tensor.to(type == StorageType.Float16 ? ScalarType.Float16 : ScalarType.BFloat16).to(tensor.dtype));
                state = new QuantizationState(type);
            }
            if (model.Masks.TryGetValue(name, out var mask)) tensor.mul_(mask);
            if (model.Quantization.Remove(name, out var old)) old.Dispose();
            model.Quantization[name] = state;
            elements += tensor.numel();
        }
        if (type == StorageType.Cluster) context.Report(new OperationProgress("Quantize", "done", 100, Completed: true));
        context.Log($"Quantized {targets.Count} tensor(s), {elements:N0} values, of '{model.Name}' to {type.ToDisplayName()}" +
                    type switch
                    {
                        StorageType.Int8 => perChannel ? " per channel." : " per tensor.",
                        StorageType.Cluster => $" ({1 << options.ClusterBits} shared values per tensor, {StepSettings.ToKebab(options.ClusterInitialization.ToString())} initialisation).",
                        _ => ".",
                    });
        var results = new OrderedSettings();
        results.Add("tensors", (long)targets.Count);
        results.Add("values", elements);
        results.Add("quantized", targets.Select(t => t.Name).ToList());
        if (type == StorageType.Cluster) results.Add("bits", (long)options.ClusterBits);
        return results;
    }

    /// <summary>Every clustered tensor must keep at least 2^bits weights, or some clusters could never be filled.</summary>
    private static void RequireEnoughMembers(CompressionModel model, List<(string Name, Tensor Tensor)> targets, QuantizeOptions options)
    {
        int k = 1 << options.ClusterBits;
        foreach (var (name, tensor) in targets)
        {
            long members = ClusterQuantizer.Members(tensor, model.Masks.GetValueOrDefault(name));
            if (members >= k) continue;
            int fits = members < 1 ? 0 : (int)Math.Floor(Math.Log2(members));
            throw new StepSettingException("quantize", QuantizeOptions.Bits,
                $"{options.ClusterBits} bits make {k} clusters, more than the {members} weight(s) '{name}' keeps; " +
                (fits >= QuantizeOptions.MinBits ? $"use {fits} bits or fewer, or exclude '{name}'." : $"exclude '{name}'."),
                (long)options.ClusterBits);
        }
    }
}
