using System.Text.Json;
using CondensaPS.Engine.Architectures;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// A built-in architecture's settings (<see cref="ArchitectureSpec.ToSettings"/>) as JSON, as the compact format's
/// ARCH section and a TorchScript export's extra record store them.
/// </summary>
public static class ArchitectureSpecJson
{
    public static byte[] Write(ArchitectureSpec spec) => JsonSerializer.SerializeToUtf8Bytes(spec.ToSettings());

    /// <summary>
    /// The spec the settings describe. JSON errors come as JsonException or InvalidOperationException, bad settings
    /// as EngineException (or FormatException, InvalidCastException, OverflowException from a mistyped value).
    /// </summary>
    public static ArchitectureSpec Read(JsonElement settings) => ArchitectureSpec.FromSettings(
        settings.EnumerateObject().ToDictionary(p => p.Name, p => Value(p.Value), StringComparer.OrdinalIgnoreCase));

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(Value).ToList(),
        JsonValueKind.Object => e.EnumerateObject().ToDictionary(p => p.Name, p => Value(p.Value), StringComparer.Ordinal),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
