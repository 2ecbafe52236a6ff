using System.Security.Cryptography;

namespace CondensaPS.Engine.Tests.Robustness;

/// <summary>
/// Runs robustness cases in a child process (a libtorch fault would kill it; the parent then records the case and
/// starts a new worker after it). Protocol on stdout, one line each: "ready KINDS", then per case "case N KIND FILE:
/// MUTATION" before it runs and "done N OUTCOME DETAIL" after. Outcomes: "error:ErrorId", "harmless" (read back
/// identical to the unmutated input), "variant" (a YAML strategy mutated into another valid strategy), and the
/// failures "FAIL-raw" (an exception that is not one of ours), "FAIL-changed" (read without an error but different),
/// "FAIL-wrote" (the reader changed or created files).
/// </summary>
internal static class RobustnessWorker
{
    public const string Command = "robustness-worker";

    /// <summary>The kind and the seeded random source of case <paramref name="index"/>; the same on every run.</summary>
    public static (int Kind, Random Rng) Case(int seed, int index, int kinds)
    {
        // Not HashCode.Combine: it is seeded per process, and a case must be the same in every run.
        var rng = new Random((int)(((long)seed * 1_000_003 + index * 7_919L) % int.MaxValue));
        return (index % kinds, rng);
    }

    /// <summary>args: robustness-worker SEED FIRST STEP COUNT (cases FIRST, FIRST+STEP, ... while below COUNT).</summary>
    public static int Run(string[] args)
    {
        int seed = int.Parse(args[1]), first = int.Parse(args[2]), step = int.Parse(args[3]), count = int.Parse(args[4]);
        var root = Path.Combine(Path.GetTempPath(), "condensaps-robustness", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        var corpus = Path.Combine(root, "corpus");
        var kinds = RobustnessInputs.Make(corpus);
        var baselines = kinds.Select(k => k.Read(k.Files.ToArray())).ToList();
        Console.Out.WriteLine($"ready {kinds.Count}");
        Console.Out.Flush();
        try
        {
            for (int index = first; index < count; index += step)
            {
                var (k, rng) = Case(seed, index, kinds.Count);
                var kind = kinds[k];
                int target = rng.Next(kind.Files.Count);
                var original = File.ReadAllBytes(kind.Files[target]);
                var mutated = Mutation.Apply(original, kind, kind.Files[target], rng);
                Console.Out.WriteLine($"case {index} {kind.Name} {Path.GetFileName(kind.Files[target])}: {mutated.Description}");
                Console.Out.Flush();
                var outcome = Run(kind, target, mutated, baselines[k], Path.Combine(root, "case"));
                Console.Out.WriteLine($"done {index} {outcome}");
                Console.Out.Flush();
            }
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
        return 0;
    }

    /// <summary>Lays the input out in a fresh folder with one file mutated, reads it, and judges what happened.</summary>
    private static string Run(InputKind kind, int target, Mutated mutated, string baseline, string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, true);
        var corpus = Path.GetDirectoryName(kind.Files[0])!;
        var paths = new string[kind.Files.Count];
        for (int i = 0; i < kind.Files.Count; i++)
        {
            // Keep the layout under the corpus folder (image folders have class subfolders).
            var relative = Path.GetRelativePath(Path.GetDirectoryName(corpus.TrimEnd(Path.DirectorySeparatorChar))!, kind.Files[i]);
            paths[i] = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(paths[i])!);
            if (i == target)
            {
                using var file = new FileStream(paths[i], FileMode.CreateNew);
                file.Write(mutated.Bytes);
                if (mutated.SparseLength > 0) file.SetLength(mutated.SparseLength);
            }
            else File.Copy(kind.Files[i], paths[i]);
        }
        var before = Snapshot(folder);
        string outcome;
        try
        {
            using (TorchSharp.torch.NewDisposeScope())
            {
                var read = kind.Read(paths);
                outcome = read == baseline ? "harmless" : kind.TextVariantsAreValid ? "variant" : $"FAIL-changed read {read} where the input gives {baseline}";
            }
        }
        catch (EngineException e)
        {
            outcome = $"error:{e.ErrorId} {OneLine(e.Message)}";
        }
        catch (Exception e)
        {
            outcome = $"FAIL-raw {e.GetType().FullName}: {OneLine(e.Message)} at {OneLine(e.StackTrace ?? "")}";
        }
        var after = Snapshot(folder);
        if (!before.SequenceEqual(after))
            outcome = $"FAIL-wrote {string.Join(", ", after.Except(before))} (was {string.Join(", ", before.Except(after))}); then {outcome}";
        Directory.Delete(folder, true);
        return outcome;
    }

    /// <summary>Every file under the folder with its length and a hash of its first megabyte and last bytes.</summary>
    private static List<string> Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f =>
        {
            using var stream = File.OpenRead(f);
            var head = new byte[Math.Min(stream.Length, 1 << 20)];
            stream.ReadExactly(head);
            return $"{Path.GetRelativePath(folder, f)}:{stream.Length}:{Convert.ToHexString(SHA256.HashData(head))[..16]}";
        }).ToList();

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" | ");
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}
