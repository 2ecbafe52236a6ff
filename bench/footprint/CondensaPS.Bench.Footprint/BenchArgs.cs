using System.Globalization;

/// <summary>The benchmark's command line: which parts to run, where to put files, thread count, timing iterations, recipe filter.</summary>
internal sealed record BenchArgs(string Out, int Threads, int Iterations, int Warmup, IReadOnlyList<string> Parts, string? Recipe, int Seed)
{
    public static readonly string[] AllParts = { "ratios", "lenet", "resnet", "rounding", "lowrank", "latency" };

    public static BenchArgs Parse(string[] args)
    {
        string Get(string key, string fallback) { int i = Array.IndexOf(args, key); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        var parts = Get("--parts", string.Join(",", AllParts)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = parts.Except(AllParts).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"Unknown part(s) {string.Join(", ", unknown)}; parts: {string.Join(", ", AllParts)}.");
        return new BenchArgs(
            Path.GetFullPath(Get("--out", Path.Combine(Path.GetTempPath(), "condensaps-footprint-bench"))),
            int.Parse(Get("--threads", "1"), CultureInfo.InvariantCulture),
            int.Parse(Get("--iterations", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--warmup", "3"), CultureInfo.InvariantCulture),
            parts,
            args.Contains("--recipe") ? Get("--recipe", "") : null,
            int.Parse(Get("--seed", "1"), CultureInfo.InvariantCulture));
    }

    /// <summary>The repository: above the benchmark's binaries, or above the current folder (a build elsewhere, run from the repository).</summary>
    public static string RepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException($"CondensaPS.sln not found above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
    }
}
