using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;

/// <summary>Inference and training timings of the dense and a 90%-sparse fp16 model, with Measure-Model's code.</summary>
internal static class LatencyTable
{
    public static void Print(BenchArgs args)
    {
        Console.WriteLine();
        Console.WriteLine($"Latency and throughput (ModelMeasurementRunner = Measure-Model; {args.Iterations} timed iterations after {args.Warmup} warm-up, {CondensaPS.Engine.TorchRuntime.Threads} thread(s), CPU, fp32 compute: fp16/int8 are storage types here).");
        Console.WriteLine();
        Console.WriteLine("| Model | Variant | Batch | p50 ms | p95 ms | Inference samples/s | Training samples/s | Compact bytes | Speedup vs dense | Size ratio vs dense |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, shape) in RatioTable.Models)
        {
            using var dense = ModelLoader.Load(DenseTorchScript.PathOf(args.Out, name), new ModelLoadOptions { Name = name + " dense fp32" });
            using var compressed = RatioTable.Compress(dense, "float16", 0.9);
            compressed.Name = name + " 90% fp16";
            foreach (var batch in name == "resnet18" ? new[] { 1, 16 } : new[] { 1, 64 })
            {
                var measureOptions = new ModelMeasurementOptions { InputShape = shape, BatchSize = batch, Iterations = args.Iterations, Warmup = args.Warmup };
                var m = ModelMeasurementRunner.Measure(compressed, measureOptions, dense);
                foreach (var (row, variant) in new[] { (m.ReferenceMeasurement!, "dense fp32"), (m, "90% sparse fp16") })
                    Console.WriteLine($"| {name} | {variant} | {batch} | {row.LatencyP50Ms:N2} | {row.LatencyP95Ms:N2} | {row.Throughput:N1} | {row.TrainingThroughput:N1} | {row.CompactBytes:N0} | "
                        + (ReferenceEquals(row, m) ? $"{m.Speedup:N2}x | {m.SizeRatio:N1}x |" : "1.00x | 1.0x |"));
            }
        }
    }
}
