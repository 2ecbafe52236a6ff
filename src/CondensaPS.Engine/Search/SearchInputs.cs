using System.Security.Cryptography;
using System.Text;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Search;

/// <summary>
/// What every trial of a search reads, written once into the search folder's inputs/: the strategy file as given,
/// the reference model (compact format, which keeps weights, masks and history exactly) and the data snapshots
/// (<see cref="DatasetSnapshot"/>). Digests of the model's tensors and of the data identify the search for -Resume,
/// so a reference rebuilt identically in a new session (same seed, same data) resumes its journal.
/// </summary>
public sealed record SearchInputs(string Folder, string Strategy, string Model, string? TrainingData, string? ValidationData, string ModelDigest, string DataDigest)
{
    public const string FolderName = "inputs";

    public static SearchInputs Prepare(string searchFolder, string strategyText, CompressionModel model, Dataset? training, Dataset? validation)
    {
        var folder = Path.Combine(searchFolder, FolderName);
        Directory.CreateDirectory(folder);
        var strategy = Path.Combine(folder, "strategy.yaml");
        var modelPath = Path.Combine(folder, "reference" + Formats.Compact.CompactFormat.Extension);
        var trainingPath = training is null ? null : Path.Combine(folder, "training.safetensors");
        var validationPath = validation is null ? null : Path.Combine(folder, "validation.safetensors");
        var modelDigest = Digest(model);
        var dataDigest = Digest(training) + "/" + Digest(validation);
        var stamp = Path.Combine(folder, "digests.txt");
        var expected = $"{SearchIdentityDigest(strategyText)}\n{modelDigest}\n{dataDigest}\n";
        // Rewrite only what is missing or different (a resumed search keeps the files its first trials read).
        bool same = File.Exists(stamp) && File.ReadAllText(stamp) == expected
            && File.Exists(strategy) && File.Exists(modelPath)
            && (trainingPath is null || File.Exists(trainingPath)) && (validationPath is null || File.Exists(validationPath));
        if (!same)
        {
            AtomicFile.WriteAllText(strategy, overwrite: true, strategyText);
            ModelExporter.Export(model, modelPath, ModelFileFormat.Compact, overwrite: true);
            if (training is not null) DatasetSnapshot.Write(training, trainingPath!, overwrite: true);
            if (validation is not null) DatasetSnapshot.Write(validation, validationPath!, overwrite: true);
            AtomicFile.WriteAllText(stamp, overwrite: true, expected);
        }
        return new SearchInputs(folder, strategy, modelPath, trainingPath, validationPath, modelDigest, dataDigest);
    }

    private static string SearchIdentityDigest(string text) => Trials.SearchIdentity.DigestText(text);

    /// <summary>SHA-256 over the model's parameter and buffer names, shapes, types and values.</summary>
    public static string Digest(CompressionModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.NamedParameters().Concat(model.NamedBuffers()))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}:{tensor.dtype}:{string.Join("x", tensor.shape)};"));
            var cpu = tensor.detach().cpu().contiguous();
            var bytes = new byte[cpu.NumberOfElements * cpu.ElementSize];
            cpu.bytes.CopyTo(bytes);
            sha.AppendData(bytes);
        }
        foreach (var (name, mask) in model.Masks.OrderBy(m => m.Key, StringComparer.Ordinal))
            sha.AppendData(Encoding.UTF8.GetBytes($"mask {name}:{mask.count_nonzero().item<long>()};"));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>SHA-256 over a data set's samples, labels and transforms ("none" for no data).</summary>
    public static string Digest(Dataset? data)
    {
        if (data is null) return "none";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(data.Pixels);
        foreach (var label in data.Labels) sha.AppendData(BitConverter.GetBytes(label));
        sha.AppendData(Encoding.UTF8.GetBytes($"{data.Shape};{data.Transforms};seed {data.Seed};{string.Join("\n", data.ClassNames)}"));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
