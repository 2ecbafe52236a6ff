using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

/// <summary>
/// Stochastic rounding against rounding to nearest, wherever retraining rounds weights again: Caffe's LeNet-5
/// reference (the digits experiment's), pruned 95% (global magnitude, no recovery yet), stored as bfloat16 or int8 (per
/// channel), then recovered with the label-preserving loss with and without full-precision master weights, rounding
/// each step's result to nearest or stochastically; several retraining seeds, the same for every variant.
/// </summary>
internal static class RoundingExperiment
{
    private static readonly string[] Types = { "bfloat16", "int8" };
    private static readonly (bool Masters, string Rounding)[] Variants = { (true, "nearest"), (true, "stochastic"), (false, "nearest"), (false, "stochastic") };

    public static void Print(BenchArgs args, int epochs = 1, double rate = 0.01, int[]? seeds = null)
    {
        seeds ??= new[] { 1, 2, 3 };
        var experiment = new DigitsExperiment(args, 28);
        var recipe = Recipes.LeNet[0];
        using var reference = experiment.ReferenceFor(recipe);
        using var pruned = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.95).Set("scope", "global"));
        var rows = new List<(string Type, string Variant, List<MismatchReport> Reports, MismatchReport Before)>();
        foreach (var type in Types)
        {
            using var quantized = OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", type));
            var before = experiment.Mismatch(reference, quantized);
            foreach (var (masters, rounding) in Variants)
            {
                var reports = new List<MismatchReport>();
                foreach (var seed in seeds)
                {
                    var settings = new StepSettings("retrain").Set("epochs", epochs).Set("learning-rate", rate).Set("seed", seed)
                        .Set("rounding", rounding).Set("master-weights", masters);
                    using var tuned = experiment.Retrain(quantized, settings);
                    reports.Add(experiment.Mismatch(reference, tuned));
                    Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] rounding: {type}, masters {masters}, {rounding}, seed {seed}: {reports[^1].CompressedAccuracy:P2}, {reports[^1].Mismatches} mismatches");
                }
                rows.Add((type, $"{(masters ? "masters" : "no masters")}, {rounding}", reports, before));
            }
        }
        Console.WriteLine();
        Console.WriteLine("### Stochastic rounding against rounding to nearest");
        Console.WriteLine();
        Console.WriteLine($"Caffe's LeNet-5 reference on the digits ({rows[0].Before.ReferenceAccuracy:P2} test accuracy), pruned 95% (global magnitude), quantized, then recovered with the label-preserving loss " +
                          $"({epochs} epoch(s) at learning rate {rate}, SGD with momentum 0.9); retraining seeds {string.Join(", ", seeds)} (mean +/- standard deviation). " +
                          "Masters: each step's change is added to a float32 copy that is rounded again; no masters: the updated weight itself is rounded. " +
                          "Clustered weights are never rounded during retraining (their centroids are float32 and their assignments hold), so rounding does not apply to them.");
        Console.WriteLine();
        Console.WriteLine("| Storage | Recovery | Test accuracy (%) | Mismatches | Mismatches, reference right | Before recovery |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (var (type, variant, reports, before) in rows)
            Console.WriteLine($"| {type} | {variant} | {Stats(reports.Select(r => 100 * r.CompressedAccuracy))} | {Stats(reports.Select(r => (double)r.Mismatches))} | " +
                              $"{Stats(reports.Select(r => (double)r.MismatchesReferenceRight))} | {100 * before.CompressedAccuracy:N2}%, {before.Mismatches} |");
    }

    private static string Stats(IEnumerable<double> values)
    {
        var v = values.ToList();
        double mean = v.Average();
        double sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return $"{mean:N2} +/- {sd:N2}";
    }
}
