using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;

namespace CondensaPS.Engine.Quantization;

/// <summary>Int8 scale granularity: one scale per output channel (axis 0) or one per tensor.</summary>
public enum QuantizationGranularity
{
    PerChannel,
    PerTensor,
}

/// <summary>The storage types a "quantize" step converts to.</summary>
public enum QuantizationType
{
    Float16,
    BFloat16,
    Int8,
}

/// <summary>The settings of a "quantize" step, read and checked from <see cref="StepSettings"/>.</summary>
public sealed record QuantizeOptions
{
    public const string Type = "type";
    public const string Granularity = "granularity";
    public const string Include = "include";
    public const string Exclude = "exclude";
    public const string InPlace = "in-place";

    public static readonly IReadOnlyCollection<string> Keys = new[] { Type, Granularity, Include, Exclude, InPlace };

    public QuantizationType QuantizationType { get; init; }
    public QuantizationGranularity QuantizationGranularity { get; init; }
    public IReadOnlyList<string> IncludePatterns { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExcludePatterns { get; init; } = Array.Empty<string>();
    public bool IsInPlace { get; init; }

    public ParameterSelector Selector => new(IncludePatterns, ExcludePatterns);

    public StorageType StorageType => QuantizationType switch
    {
        QuantizationType.Float16 => StorageType.Float16,
        QuantizationType.BFloat16 => StorageType.BFloat16,
        _ => StorageType.Int8,
    };

    public static QuantizeOptions From(StepSettings s)
    {
        if (!s.Has(Type)) throw new StepSettingException(s.Step, Type, "is required: float16, bfloat16 or int8.");
        var type = s.GetEnum(Type, QuantizationType.Float16);
        if (s.Has(Granularity) && type != QuantizationType.Int8)
            throw new StepSettingException(s.Step, Granularity, $"applies to type int8, not {StepSettings.ToKebab(type.ToString())}.", s[Granularity]);
        return new QuantizeOptions
        {
            QuantizationType = type,
            QuantizationGranularity = s.GetEnum(Granularity, QuantizationGranularity.PerChannel),
            IncludePatterns = s.GetStrings(Include),
            ExcludePatterns = s.GetStrings(Exclude),
            IsInPlace = s.GetBool(InPlace, false),
        };
    }
}
