using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CondensaPS.Engine.Search.Trials;

/// <summary>
/// What makes two runs the same search, so that -Resume continues only its own journal: the search definition, the
/// strategy's text and the fixed parameters, and digests of the model and data files the workers read.
/// </summary>
public sealed record SearchIdentity(string Name, string Definition, string StrategyDigest, string Parameters, string ModelDigest, string DataDigest, DateTimeOffset Created)
{
    public const int Version = 1;

    public static string Digest(params string[] files)
    {
        using var sha = SHA256.Create();
        foreach (var file in files)
        {
            if (!File.Exists(file)) { sha.TransformBlock(new byte[] { 0 }, 0, 1, null, 0); continue; }
            var bytes = File.ReadAllBytes(file);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return Convert.ToHexString(sha.Hash!).ToLowerInvariant();
    }

    public static string DigestText(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    /// <summary>What differs from <paramref name="other"/>, in words; null when it is the same search.</summary>
    public string? Difference(SearchIdentity other)
    {
        if (Definition != other.Definition) return $"search settings '{Definition}', not '{other.Definition}'";
        if (StrategyDigest != other.StrategyDigest) return "a different strategy file";
        if (Parameters != other.Parameters) return $"fixed parameters '{Parameters}', not '{other.Parameters}'";
        if (ModelDigest != other.ModelDigest) return "a different model";
        if (DataDigest != other.DataDigest) return "different data";
        return null;
    }

    public string ToLine()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("record", "search");
            w.WriteNumber("version", Version);
            w.WriteString("name", Name);
            w.WriteString("definition", Definition);
            w.WriteString("strategy-sha256", StrategyDigest);
            w.WriteString("parameters", Parameters);
            w.WriteString("model-sha256", ModelDigest);
            w.WriteString("data-sha256", DataDigest);
            w.WriteString("created", Created.ToString("O", CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static SearchIdentity Read(JsonElement e)
    {
        if (e.GetProperty("version").GetInt32() != Version)
            throw new JsonException($"journal version {e.GetProperty("version").GetInt32()} is not {Version}");
        return new SearchIdentity(
            e.GetProperty("name").GetString()!,
            e.GetProperty("definition").GetString()!,
            e.GetProperty("strategy-sha256").GetString()!,
            e.GetProperty("parameters").GetString()!,
            e.GetProperty("model-sha256").GetString()!,
            e.GetProperty("data-sha256").GetString()!,
            DateTimeOffset.Parse(e.GetProperty("created").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
    }
}
