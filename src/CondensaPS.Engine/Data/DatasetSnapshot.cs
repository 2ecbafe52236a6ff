using System.Globalization;
using CondensaPS.Engine.Formats;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Data;

/// <summary>
/// A data set written for another process (a search's worker, a job on a cluster node) and read back identical: the
/// samples and labels as a safetensors data set that <see cref="SafeTensorsDatasetReader"/> reads (uint8 "images"
/// [N, C, H, W], int64 "labels"), with its name, class names and transforms (normalisation, augmentation, seed, the
/// size it was resized from) in the file's metadata under "condensaps.*" keys, which <see cref="Read"/> applies again.
/// </summary>
public static class DatasetSnapshot
{
    private const string Prefix = "condensaps.";

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/> atomically (overwriting only with <paramref name="overwrite"/>).</summary>
    public static void Write(Dataset data, string path, bool overwrite = false)
    {
        TorchRuntime.EnsureInitialized();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Prefix + "name"] = data.Name,
            [Prefix + "classes"] = string.Join("\n", data.ClassNames),
            [Prefix + "augment"] = data.Augment ? "true" : "false",
            [Prefix + "augment-padding"] = data.AugmentPadding.ToString(CultureInfo.InvariantCulture),
            [Prefix + "augment-flip"] = data.AugmentFlip ? "true" : "false",
            [Prefix + "seed"] = data.Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (data.Mean is { } mean) metadata[Prefix + "mean"] = Join(mean);
        if (data.Std is { } std) metadata[Prefix + "std"] = Join(std);
        if (data.ResizedFrom is { } from) metadata[Prefix + "resized-from"] = from;
        AtomicFile.Write(path, overwrite, temp =>
        {
            using var images = tensor(data.Pixels, new long[] { data.Count, data.Channels, data.Height, data.Width });
            using var labels = tensor(data.Labels.ToArray(), new long[] { data.Count });
            SafeTensorsFile.Write(temp, new[] { (SafeTensorsDatasetReader.ImagesName, images), (SafeTensorsDatasetReader.LabelsName, labels) }, metadata);
        });
    }

    /// <summary>Reads a snapshot back with its name, class names and transforms.</summary>
    public static Dataset Read(string path)
    {
        var metadata = File.Exists(path) ? SafeTensorsFile.ReadMetadata(path) : new Dictionary<string, string>();
        var plain = SafeTensorsDatasetReader.Read(path);
        string Get(string key, string fallback) => metadata.TryGetValue(Prefix + key, out var v) ? v : fallback;
        var names = metadata.TryGetValue(Prefix + "classes", out var classes) ? classes.Split('\n') : null;
        var restored = new Dataset(Get("name", plain.Name), plain.Source, plain.Format, plain.Pixels, plain.Labels.ToArray(),
            plain.Channels, plain.Height, plain.Width, names?.Length ?? plain.Classes, names)
        {
            ResizedFrom = metadata.TryGetValue(Prefix + "resized-from", out var from) ? from : null,
        };
        var mean = metadata.TryGetValue(Prefix + "mean", out var m) ? Split(m) : null;
        var std = metadata.TryGetValue(Prefix + "std", out var s) ? Split(s) : null;
        return restored.WithTransforms(mean, std,
            augment: Get("augment", "false") == "true",
            padding: int.Parse(Get("augment-padding", "0"), CultureInfo.InvariantCulture) is var p and > 0 ? p : null,
            flip: Get("augment-flip", "false") == "true",
            seed: int.Parse(Get("seed", "0"), CultureInfo.InvariantCulture));
    }

    private static string Join(IEnumerable<double> values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    private static double[] Split(string text) => text.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
