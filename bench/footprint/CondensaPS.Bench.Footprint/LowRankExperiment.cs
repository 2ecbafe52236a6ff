using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

/// <summary>
/// Low-rank factorisation of Caffe's LeNet-5 reference (the digits experiment's): each variant factorized, then
/// recovered with the label-preserving loss; parameters, MACs per sample, measured CPU inference throughput (batch 64,
/// dense model and variant timed in the same run) and accuracy before and after recovery.
/// </summary>
internal static class LowRankExperiment
{
    private static readonly (string Name, (string Key, object Value)[] Settings)[] Variants =
    {
        ("fc1 SVD rank 32", new (string, object)[] { ("rank", 32), ("include", new[] { "fc1.weight" }) }),
        ("fc1 SVD rank 16", new (string, object)[] { ("rank", 16), ("include", new[] { "fc1.weight" }) }),
        ("conv2 Tucker-2 rank 10, fc1 SVD rank 16", new (string, object)[] { ("rank", 10), ("include", new[] { "conv2.weight" }) }),
        ("every layer at 80% energy", new (string, object)[] { ("energy", 0.8) }),
    };

    public static void Print(BenchArgs args, int epochs = 2, double rate = 0.001)
    {
        var experiment = new DigitsExperiment(args, 28);
        using var reference = experiment.ReferenceFor(Recipes.LeNet[0]);
        var shape = new long[] { 1, 28, 28 };
        var rows = new List<string>();
        long? referenceMacs = null;
        foreach (var (name, settings) in Variants)
        {
            var s = new StepSettings("factorize");
            foreach (var (k, v) in settings) s.Set(k, v);
            using var first = OperationRunner.Run("factorize", reference, s);
            // The third variant factorizes fc1 as well, on top of conv2.
            using var factorized = name.StartsWith("conv2", StringComparison.Ordinal)
                ? OperationRunner.Run("factorize", first, new StepSettings("factorize").Set("rank", 16).Set("include", new[] { "fc1.weight" }))
                : first.Clone();
            var before = experiment.Mismatch(reference, factorized);
            using var recovered = experiment.Retrain(factorized, new StepSettings("retrain").Set("epochs", epochs).Set("learning-rate", rate).Set("seed", args.Seed));
            var after = experiment.Mismatch(reference, recovered);
            var m = ModelMeasurementRunner.Measure(recovered, new ModelMeasurementOptions { InputShape = shape, BatchSize = 64, Iterations = args.Iterations, Warmup = args.Warmup }, reference);
            var r = m.ReferenceMeasurement!;
            referenceMacs = r.Macs;
            Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] low-rank {name}: {recovered.Parameters:N0} parameters, {m.Macs:N0} MACs, {m.Throughput:N0} img/s vs {r.Throughput:N0}, {after.CompressedAccuracy:P2}");
            rows.Add($"| {name} | {string.Join(", ", recovered.Spec!.Factorizations)} | {recovered.Parameters:N0} ({(double)reference.Parameters / recovered.Parameters:N1}x) | " +
                     $"{m.Macs:N0} ({m.MacsRatio:N1}x) | {m.Throughput:N0} vs {r.Throughput:N0} ({m.Throughput / r.Throughput:N2}x) | " +
                     $"{100 * before.CompressedAccuracy:N2} | {100 * after.CompressedAccuracy:N2} ({100 * (after.CompressedAccuracy - after.ReferenceAccuracy):+0.00;-0.00}) | {after.Mismatches} |");
        }
        Console.WriteLine();
        Console.WriteLine("### Low-rank factorisation");
        Console.WriteLine();
        Console.WriteLine($"Caffe's LeNet-5 reference on the digits ({reference.Parameters:N0} parameters, {referenceMacs:N0} MACs per sample); " +
                          $"each variant factorized (Invoke-Factorize), then recovered with the label-preserving loss ({epochs} epochs at {rate}; at 0.01 the SVD factors of fc1 diverged to NaN in the first epoch). Throughput: Measure-Model, batch 64, " +
                          $"{args.Iterations} timed batches after {args.Warmup}, {CondensaPS.Engine.TorchRuntime.Threads} thread(s), the dense reference timed in the same run. Accuracy on the 2,000 test digits.");
        Console.WriteLine();
        Console.WriteLine("| Variant | Ranks | Parameters | MACs per sample | Inference img/s (dense) | Accuracy before recovery (%) | After (points vs reference) | Mismatches |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows) Console.WriteLine(row);
    }
}
