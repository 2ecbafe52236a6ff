using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using static TorchSharp.torch;

/// <summary>
/// Compact bytes of freshly initialised ResNet-18 and LeNet-5 (PyTorch's TorchScript files, imported) at several
/// sparsities and storage types, against the dense TorchScript file. Random weights: what the format does, not what
/// training and recovery allow (the digits experiments show that).
/// </summary>
internal static class RatioTable
{
    public static readonly (string Name, long[] Shape)[] Models = { ("resnet18", new long[] { 3, 224, 224 }), ("lenet5", new long[] { 1, 28, 28 }) };
    private static readonly double[] Sparsities = { 0.0, 0.5, 0.8, 0.9, 0.95 };
    private static readonly string[] Types = { "float32", "float16", "int8", "cluster" };

    public static void Print(BenchArgs args)
    {
        Console.WriteLine();
        Console.WriteLine("Compression: the engine's prune step (magnitude, scope layer: every conv/linear weight; biases and batch norm stay dense) and quantize step (float16; int8 per channel; cluster: 5-bit codebooks per conv/linear weight (fewer bits where a layer keeps fewer than 32 weights), linear start, with biases and batch norm float16).");
        Console.WriteLine("Dense = the dense fp32 TorchScript file PyTorch 1.13 wrote (torch.jit.script); compact = Export-Model -Format Compact of the compressed model (history included).");
        Console.WriteLine();
        Console.WriteLine("| Model | Sparsity | Type | Dense TorchScript bytes | Compact bytes | Ratio | Round trip |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---|");
        foreach (var (name, shape) in Models)
        {
            var tsPath = DenseTorchScript.PathOf(args.Out, name);
            long tsBytes = new FileInfo(tsPath).Length;
            using var dense = ModelLoader.Load(tsPath, new ModelLoadOptions());
            foreach (var sparsity in Sparsities)
            foreach (var type in Types)
            {
                using var model = Compress(dense, sparsity, type);
                model.Name = $"{name}-{sparsity:0.##}-{type}";
                var path = Path.Combine(args.Out, model.Name + ".cpz");
                ModelExporter.Export(model, path, ModelFileFormat.Compact, overwrite: true);
                long bytes = new FileInfo(path).Length;
                Console.WriteLine($"| {name} | {sparsity:P0} | {type} | {tsBytes:N0} | {bytes:N0} | {(double)tsBytes / bytes:N1}x | {RoundTrip(model, path, shape)} |");
                File.Delete(path);
            }
        }
    }

    /// <summary>The engine's prune and quantize steps, as Invoke-Prune and Invoke-Quantize run them.</summary>
    public static CompressionModel Compress(CompressionModel dense, string type, double sparsity) => Compress(dense, sparsity, type);

    private static CompressionModel Compress(CompressionModel dense, double sparsity, string type)
    {
        // Steps never change their input, so each starts from the previous output; the dense model stays the reference.
        var model = sparsity > 0
            ? OperationRunner.Run("prune", dense, new StepSettings("prune").Set("ratio", sparsity).Set("scope", "layer"))
            : dense.Clone();
        if (type == "float32") return model;
        using var pruned = model;
        if (type != "cluster") return OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", type));
        var model16 = OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", "float16"));
        // 5 bits per weight, fewer for a layer that keeps fewer than 32 weights (LeNet-5's conv1 at 90% and more).
        foreach (var group in LayerInventory.List(model16).GroupBy(l => ClusterBits(l.NonZeros)))
        {
            using var previous = model16;
            model16 = OperationRunner.Run("quantize", previous, new StepSettings("quantize").Set("type", "cluster").Set("bits", group.Key)
                .Set("include", group.Select(l => l.Parameter).ToArray()));
        }
        return model16;
    }

    /// <summary>5 bits, or as many as the layer's kept weights fill (at least 2).</summary>
    private static int ClusterBits(long kept) => (int)Math.Clamp(Math.Floor(Math.Log2(Math.Max(1, kept))), 2, 5);

    /// <summary>"exact" when the file reads back to the same tensors, masks, records and outputs.</summary>
    public static string RoundTrip(CompressionModel model, string path, long[] sampleShape)
    {
        using var back = ModelLoader.Load(path, new ModelLoadOptions());
        var differences = ModelComparison.Differences(model, back);
        if (differences.Count > 0) return "DIFFERS: " + string.Join(", ", differences.Take(3));
        using var input = randn(new long[] { 1 }.Concat(sampleShape).ToArray(), generator: new Generator(1));
        using var _ = no_grad();
        using var a = model.Forward(input);
        using var b = back.Forward(input);
        return (a == b).all().item<bool>() ? "exact" : "DIFFERS: outputs";
    }
}
