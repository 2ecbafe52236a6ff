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
    /// <summary>Weight sharing: per-layer k-means codebook of 2^bits values, weights stored as indices.</summary>
    Cluster,
}

/// <summary>The settings of a "quantize" step, read and checked from <see cref="StepSettings"/>.</summary>
public sealed record QuantizeOptions
{
    public const string Type = "type";
    public const string Granularity = "granularity";
    public const string Include = "include";
    public const string Exclude = "exclude";
    public const string InPlace = "in-place";
    public const string Bits = "bits";
    public const string Initialization = "initialization";

    public static readonly IReadOnlyCollection<string> Keys = new[] { Type, Granularity, Bits, Initialization, Include, Exclude, InPlace };

    /// <summary>Cluster index widths: 2 to 8 bits (4 to 256 shared values per layer).</summary>
    public const int MinBits = 2;
    public const int MaxBits = 8;
    /// <summary>Deep Compression's width for fully connected layers.</summary>
    public const int DefaultBits = 5;

    public QuantizationType QuantizationType { get; init; }
    public QuantizationGranularity QuantizationGranularity { get; init; }
    public IReadOnlyList<string> IncludePatterns { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExcludePatterns { get; init; } = Array.Empty<string>();
    public bool IsInPlace { get; init; }
    /// <summary>Cluster only: bits per index.</summary>
    public int ClusterBits { get; init; } = DefaultBits;
    /// <summary>Cluster only: where k-means starts.</summary>
    public ClusterInitialization ClusterInitialization { get; init; }

    public ParameterSelector Selector => new(IncludePatterns, ExcludePatterns);

    public StorageType StorageType => QuantizationType switch
    {
        QuantizationType.Float16 => StorageType.Float16,
        QuantizationType.BFloat16 => StorageType.BFloat16,
        QuantizationType.Cluster => StorageType.Cluster,
        _ => StorageType.Int8,
    };

    public static QuantizeOptions From(StepSettings s)
    {
        if (!s.Has(Type)) throw new StepSettingException(s.Step, Type, "is required: float16, bfloat16, int8 or cluster.");
        var type = s.GetEnum(Type, QuantizationType.Float16);
        if (s.Has(Granularity) && type != QuantizationType.Int8)
            throw new StepSettingException(s.Step, Granularity, $"{s[Granularity]} applies to type int8, not {StepSettings.ToKebab(type.ToString())}.", s[Granularity]);
        foreach (var key in new[] { Bits, Initialization })
            if (s.Has(key) && type != QuantizationType.Cluster)
                throw new StepSettingException(s.Step, key, $"{s[key]} applies to type cluster, not {StepSettings.ToKebab(type.ToString())}.", s[key]);
        return new QuantizeOptions
        {
            QuantizationType = type,
            QuantizationGranularity = s.GetEnum(Granularity, QuantizationGranularity.PerChannel),
            IncludePatterns = s.GetStrings(Include),
            ExcludePatterns = s.GetStrings(Exclude),
            IsInPlace = s.GetBool(InPlace, false),
            ClusterBits = (int)s.GetInt(Bits, DefaultBits, MinBits, MaxBits),
            ClusterInitialization = s.GetEnum(Initialization, ClusterInitialization.Linear),
        };
    }
}
