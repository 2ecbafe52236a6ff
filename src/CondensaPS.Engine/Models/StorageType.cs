namespace CondensaPS.Engine.Models;

/// <summary>How a parameter is stored (and exported); computation always runs on its float value.</summary>
public enum StorageType
{
    Float32,
    Float16,
    BFloat16,
    Int8,
    /// <summary>Weight sharing: each weight is one of 2^bits shared values (a per-layer codebook), stored as its index.</summary>
    Cluster,
}

public static class StorageTypeExtensions
{
    /// <summary>Bytes per element at a fixed-width type (a cluster index takes its bits; see <see cref="QuantizationState.StorageBytes"/>).</summary>
    public static int BytesPerElement(this StorageType type) => type switch
    {
        StorageType.Float16 or StorageType.BFloat16 => 2,
        StorageType.Int8 or StorageType.Cluster => 1,
        _ => 4,
    };

    public static string ToDisplayName(this StorageType type) => type switch
    {
        StorageType.Float16 => "float16",
        StorageType.BFloat16 => "bfloat16",
        StorageType.Int8 => "int8",
        StorageType.Cluster => "cluster",
        _ => "float32",
    };
}
