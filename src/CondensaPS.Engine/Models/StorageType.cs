namespace CondensaPS.Engine.Models;

/// <summary>How a parameter is stored (and exported); computation always runs on its float value.</summary>
public enum StorageType
{
    Float32,
    Float16,
    BFloat16,
    Int8,
}

public static class StorageTypeExtensions
{
    public static int BytesPerElement(this StorageType type) => type switch
    {
        StorageType.Float16 or StorageType.BFloat16 => 2,
        StorageType.Int8 => 1,
        _ => 4,
    };

    public static string ToDisplayName(this StorageType type) => type switch
    {
        StorageType.Float16 => "float16",
        StorageType.BFloat16 => "bfloat16",
        StorageType.Int8 => "int8",
        _ => "float32",
    };
}
