using System.IO.Compression;
using System.Text;
using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Structure;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Slimming;

/// <summary>
/// A depthwise convolution's groups are written into its class's code as a number (torch.conv2d(..., 32)); once its
/// channels shrink, that number is wrong. This rewrites the number as <c>torch.size(weight, 0)</c>, which is the
/// groups of any depthwise convolution (one filter per channel), in a copy of the archive. Every rewritten file is
/// parsed again before the archive is handed on: libtorch aborts the whole process on code it cannot compile, so
/// nothing that does not parse may reach it.
/// </summary>
internal static class DepthwiseGroupsRewrite
{
    /// <summary>The literal sites to rewrite: the depthwise layers whose channels the plan shrinks.</summary>
    public static IReadOnlyList<LayerNode> Sites(SlimPlan plan) => plan.Structure.Graph.Layers
        .Where(l => l.Kind == LayerKind.DepthwiseConvolution && !l.GroupsFollowWeight && l.GroupsLiteral is not null
                    && plan.Indices.ContainsKey((l.Weight, 0)))
        .GroupBy(l => l.GroupsLiteral)
        .Select(g => g.First())
        .ToList();

    /// <summary>
    /// A copy of <paramref name="archive"/> (a zip of bytes) with the sites' literals rewritten; code files that changed
    /// lose their .debug_pkl (its source positions no longer match). <paramref name="rewritten"/> gets the new text of
    /// each changed file, by its path below code/.
    /// </summary>
    public static byte[] Apply(byte[] archive, IReadOnlyList<LayerNode> sites, Dictionary<string, string> rewritten)
    {
        var edits = sites.GroupBy(s => s.GroupsLiteral!.Value.File).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        using var source = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read);
        var root = source.Entries.Select(e => e.FullName).First(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') == 1)[..^"data.pkl".Length];
        var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                var name = entry.FullName.StartsWith(root, StringComparison.Ordinal) ? entry.FullName[root.Length..] : entry.FullName;
                if (name.EndsWith(".debug_pkl", StringComparison.Ordinal) && edits.ContainsKey(name[..^".debug_pkl".Length])) continue;
                var copy = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression);
                using var from = entry.Open();
                using var to = copy.Open();
                if (edits.TryGetValue(name, out var fileEdits))
                {
                    var text = Rewrite(new StreamReader(from, Encoding.UTF8).ReadToEnd(), name, fileEdits);
                    rewritten[name["code/".Length..]] = text;
                    to.Write(Encoding.UTF8.GetBytes(text));
                }
                else from.CopyTo(to);
            }
            var missing = edits.Keys.Where(f => source.GetEntry(root + f) is null).ToList();
            if (missing.Count > 0)
                throw new SlimFailedException($"the archive written from the model has no {string.Join(", ", missing)}");
        }
        return output.ToArray();
    }

    private static string Rewrite(string text, string file, IReadOnlyList<LayerNode> sites)
    {
        var sb = new StringBuilder(text);
        foreach (var site in sites.OrderByDescending(s => s.GroupsLiteral!.Value.Start))
        {
            var span = site.GroupsLiteral!.Value;
            var literal = text[span.Start..span.End];
            if (!long.TryParse(literal, out _))
                throw new SlimFailedException($"{span} holds '{literal}' where the groups of {site.Name} were read");
            sb.Remove(span.Start, span.End - span.Start).Insert(span.Start, $"torch.size({site.WeightArgument}, 0)");
        }
        var rewritten = sb.ToString();
        try
        {
            ScriptParser.Parse(rewritten, file);
        }
        catch (ScriptSyntaxException e)
        {
            throw new SlimFailedException($"rewriting the groups of {string.Join(", ", sites.Select(s => s.Name))} gave code that does not parse ({e.Message})");
        }
        return rewritten;
    }
}

/// <summary>Slimming could not produce a correct model; the message says why. The input model is untouched.</summary>
internal sealed class SlimFailedException : Exception
{
    public SlimFailedException(string message) : base(message) { }
}
