using System.Text.Json;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Quantization;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// How a quantized model's tensors go into a safetensors file, and come back. Float16 and bfloat16 tensors are written
/// as F16 and BF16 (PyTorch's <c>load_state_dict</c> copies them into an fp32 model as they are). Int8 weights follow
/// the compressed-tensors convention ("int-quantized", symmetric, as vLLM reads it): <c>name</c> holds the I8 values
/// q and <c>name_scale</c> (so <c>conv1.weight_scale</c>) the F32 scales, shaped [out, 1, ...] per channel or [1] per
/// tensor, so that <c>q * scale</c> broadcasts to the weight; no zero point is written for symmetric quantization. The
/// "quantization_config" metadata entry describes the int8 groups as compressed-tensors' config does.
/// </summary>
public static class SafeTensorsQuantization
{
    /// <summary>What follows a weight's name in the name of its scales (<c>weight</c> becomes <c>weight_scale</c>).</summary>
    public const string ScaleSuffix = "_scale";
    /// <summary>What compressed-tensors calls the zero point of asymmetric quantization (never written here).</summary>
    public const string ZeroPointSuffix = "_zero_point";
    public const string ConfigKey = "quantization_config";

    /// <summary>
    /// The model's parameters and buffers as they are stored: each at its recorded storage type, int8 weights as
    /// values plus scales. Call inside a dispose scope; the tensors made here belong to it.
    /// </summary>
    public static List<(string Name, Tensor Tensor)> Encode(CompressionModel model)
    {
        using var _ = no_grad();
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, tensor) in model.NamedParameters().Concat(model.NamedBuffers()))
        {
            if (!model.Quantization.TryGetValue(name, out var state))
            {
                tensors.Add((name, tensor));
                continue;
            }
            switch (state.Type)
            {
                case StorageType.Float16:
                    tensors.Add((name, tensor.detach().to(ScalarType.Float16)));
                    break;
                case StorageType.BFloat16:
                    tensors.Add((name, tensor.detach().to(ScalarType.BFloat16)));
                    break;
                case StorageType.Int8 when state.Scale is { } scale:
                    var values = Int8Quantizer.Levels(tensor.detach(), scale.to(tensor.device)).to(ScalarType.Int8);
                    tensors.Add((name, values));
                    tensors.Add((name + ScaleSuffix, scale.detach().to(ScalarType.Float32).reshape(ScaleShape(tensor, state.Axis))));
                    break;
                default:
                    tensors.Add((name, tensor));
                    break;
            }
        }
        return tensors;
    }

    /// <summary>compressed-tensors' quantization_config for the model's int8 weights (null when it has none).</summary>
    public static string? Config(CompressionModel model)
    {
        var groups = model.Quantization.Where(q => q.Value.Type == StorageType.Int8)
            .GroupBy(q => q.Value.Axis == 0 ? "channel" : "tensor")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => (Name: $"group_{i}", Strategy: g.Key, Targets: g.Select(q => ModuleOf(q.Key)).Order(StringComparer.Ordinal).ToList()))
            .ToList();
        if (groups.Count == 0) return null;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["quant_method"] = "compressed-tensors",
            ["format"] = "int-quantized",
            ["quantization_status"] = "compressed",
            ["config_groups"] = groups.ToDictionary(g => g.Name, g => (object)new Dictionary<string, object>
            {
                ["targets"] = g.Targets,
                ["weights"] = new Dictionary<string, object>
                {
                    ["num_bits"] = 8,
                    ["type"] = "int",
                    ["symmetric"] = true,
                    ["strategy"] = g.Strategy,
                    ["dynamic"] = false,
                },
            }),
        });
    }

    /// <summary>
    /// Turns a safetensors state dict back into float values plus quantization records: F16 and BF16 tensors are
    /// recorded as float16 and bfloat16; I8 values with their <c>_scale</c> become q * scale in float32, recorded as
    /// int8 with those scales. The scale (and zero-point) entries are taken out of <paramref name="state"/>; replaced
    /// tensors are disposed. Asymmetric int8 (with a zero point) is read as float32 values and not recorded, since
    /// CondensaPS's int8 is symmetric.
    /// </summary>
    public static Dictionary<string, QuantizationState> Decode(Dictionary<string, Tensor> state, Action<string>? log = null)
    {
        var records = new Dictionary<string, QuantizationState>(StringComparer.Ordinal);
        foreach (var name in state.Keys.ToList())
        {
            if (!state.TryGetValue(name, out var tensor)) continue;
            switch (tensor.dtype)
            {
                case ScalarType.Float16:
                    records[name] = new QuantizationState(StorageType.Float16);
                    break;
                case ScalarType.BFloat16:
                    records[name] = new QuantizationState(StorageType.BFloat16);
                    break;
                case ScalarType.Int8 when state.TryGetValue(name + ScaleSuffix, out var scale):
                    var (values, record) = Dequantize(name, tensor, scale, state.GetValueOrDefault(name + ZeroPointSuffix), log);
                    state.Remove(name + ScaleSuffix);
                    if (state.Remove(name + ZeroPointSuffix, out var zeroPoint)) zeroPoint.Dispose();
                    scale.Dispose();
                    tensor.Dispose();
                    state[name] = values;
                    if (record != null) records[name] = record;
                    break;
            }
        }
        return records;
    }

    private static (Tensor Values, QuantizationState? Record) Dequantize(string name, Tensor q, Tensor scale, Tensor? zeroPoint, Action<string>? log)
    {
        using var _ = no_grad();
        bool perTensor = scale.numel() == 1;
        if (!perTensor && (q.dim() == 0 || scale.numel() != q.shape[0]))
            throw new EngineException("InvalidQuantizationScale", EngineErrorKind.InvalidData,
                $"'{name + ScaleSuffix}' has {scale.numel()} scales for a weight of shape [{string.Join("x", q.shape)}]: expected one, or one per output channel ({(q.dim() == 0 ? 1 : q.shape[0])}).", name);
        var scales = (perTensor ? scale.reshape(Array.Empty<long>()) : scale.reshape(q.shape[0])).to(ScalarType.Float32).contiguous();
        var broadcast = perTensor ? scales : scales.reshape(ScaleShape(q, axis: 0));
        var levels = q.to(ScalarType.Float32);
        if (zeroPoint is not null)
        {
            using var shift = zeroPoint.to(ScalarType.Float32).reshape(perTensor ? Array.Empty<long>() : ScaleShape(q, axis: 0));
            var values = levels.sub(shift).mul(broadcast);
            levels.Dispose();
            if (!perTensor) broadcast.Dispose();
            scales.Dispose();
            log?.Invoke($"'{name}' is asymmetric int8 (it has a zero point); read as float32 values, not as int8.");
            return (values, null);
        }
        var dequantized = levels.mul(broadcast);
        levels.Dispose();
        if (!perTensor) broadcast.Dispose();
        return (dequantized, new QuantizationState(StorageType.Int8, scales, perTensor ? -1 : 0));
    }

    /// <summary>[out, 1, 1, ...] per channel (the weight's rank, so q * scale broadcasts), [1] per tensor.</summary>
    private static long[] ScaleShape(Tensor weight, int axis)
    {
        if (axis != 0 || weight.dim() == 0) return new long[] { 1 };
        var shape = Enumerable.Repeat(1L, (int)weight.dim()).ToArray();
        shape[0] = weight.shape[0];
        return shape;
    }

    private static string ModuleOf(string parameter)
    {
        int dot = parameter.LastIndexOf('.');
        return dot < 0 ? parameter : parameter[..dot];
    }
}
