using System.Text.Json;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>The META section as read back: what the model is called and how to rebuild it.</summary>
internal sealed record CompactMetadata(string Name, string Source, bool IsTorchScript, bool IsTraced)
{
    public static CompactMetadata Parse(byte[] json, string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var kind = root.GetProperty("kind").GetString();
            if (kind is not ("torchscript" or "built-in"))
                throw CompactTorchScript.Unavailable(path, $"it holds a model of kind '{kind}', which this CondensaPS cannot build");
            return new CompactMetadata(
                root.GetProperty("name").GetString() ?? "",
                root.TryGetProperty("source", out var s) ? s.GetString() ?? "" : "",
                kind == "torchscript",
                root.TryGetProperty("traced", out var t) && t.ValueKind == JsonValueKind.True);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw CompactContainer.Invalid(path, $"its metadata section is not valid: {e.Message}", e);
        }
    }
}
