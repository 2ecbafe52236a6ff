using System.Diagnostics;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training;
using static TorchSharp.torch;

/// <summary>
/// Runs <see cref="Recipe"/>s on the shipped digits (7,000 training, 1,000 validation, 2,000 test) through the
/// engine's steps (what the cmdlets run): a reference trained with cross-entropy (kept in the output folder as a
/// compact file, so later runs reuse it), then the recipe's pruning, recovery, clustering and centroid fine-tuning
/// with the reference as teacher. Reports test accuracy against the reference's, mismatches, the compact bytes
/// against the dense TorchScript file PyTorch writes for the same architecture, and where the bytes go; every file is
/// read back and compared with the model, bit for bit, before its size counts.
/// </summary>
internal sealed class DigitsExperiment
{
    private readonly BenchArgs _args;
    private readonly Dataset _train, _val, _test;
    private readonly int _inputSize;

    public DigitsExperiment(BenchArgs args, int inputSize)
    {
        _args = args;
        _inputSize = inputSize;
        var mnist = Path.Combine(BenchArgs.RepoRoot(), "data", "mnist");
        Dataset Read(string set)
        {
            var data = IdxReader.Read(Path.Combine(mnist, $"{set}-images-idx3-ubyte.gz"), Path.Combine(mnist, $"{set}-labels-idx1-ubyte.gz"));
            if (inputSize != 28) data = ImageResizer.Resize(data, inputSize, inputSize);
            return data.WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, false);
        }
        _train = Read("train");
        _val = Read("val");
        _test = Read("test");
    }

    public sealed record Row(Recipe Recipe, long DenseTorchScriptBytes, long CompactBytes, long CompactBytesWithHistory, double Sparsity,
        double ReferenceAccuracy, double Accuracy, int Mismatches, int MismatchesReferenceRight, string RoundTrip, double Minutes,
        ModelFootprint Footprint, string Steps)
    {
        public double Ratio => (double)DenseTorchScriptBytes / CompactBytes;
        public double Points => 100 * (Accuracy - ReferenceAccuracy);
    }

    public Row Run(Recipe recipe, string denseName, long denseBytes)
    {
        var watch = Stopwatch.StartNew();
        var context = new OperationContext { Verbose = m => Log(recipe.Name, m) };
        using var reference = Reference(recipe);
        var inputs = new OperationInputs { TrainingData = _train, ValidationData = _val };
        var owned = new List<CompressionModel>();
        CompressionModel Step(CompressionModel model, string step, params (string Key, object? Value)[] settings)
        {
            var s = new StepSettings(step);
            foreach (var (k, v) in settings) s.Set(k, v);
            if (step == "retrain") AsMeasured(s);
            var next = OperationRunner.Run(step, model, s, inputs, context);
            owned.Add(next);
            return next;
        }
        try
        {
            var model = reference;
            int stage = 0;
            foreach (var entries in recipe.StageList)
            {
                stage++;
                foreach (var (pattern, ratio) in entries)
                    model = pattern == "global"
                        ? Step(model, "prune", ("ratio", ratio), ("scope", "global"))
                        : Step(model, "prune", ("ratio", ratio), ("scope", "layer"), ("include", new[] { pattern }));
                Log(recipe.Name, $"stage {stage}: sparsity {model.Sparsity:P2}; recovering");
                model = Step(model, "retrain", ("loss", recipe.Loss), ("epochs", recipe.RecoveryEpochs), ("learning-rate", recipe.RecoveryRate), ("seed", _args.Seed));
                Log(recipe.Name, $"stage {stage}: {Accuracy(reference, model)}");
            }
            if (recipe.Float16Rest) model = Step(model, "quantize", ("type", "float16"));
            if (recipe.ClusterList.Count > 0)
            {
                foreach (var (pattern, bits) in recipe.ClusterList)
                    model = Step(model, "quantize", ("type", "cluster"), ("bits", bits), ("initialization", recipe.Initialization), ("include", new[] { pattern }));
                Log(recipe.Name, $"clustered: {Accuracy(reference, model)} before fine-tuning the centroids");
                if (recipe.ClusterEpochs > 0)
                    model = Step(model, "retrain", ("loss", recipe.Loss), ("epochs", recipe.ClusterEpochs), ("learning-rate", recipe.ClusterRate), ("seed", _args.Seed));
            }

            var mismatch = MismatchMeasurer.Measure(reference, model, _test, OperationContext.None);
            var withHistory = CompactWriter.Encode(model).File.LongLength;
            var path = Path.Combine(_args.Out, $"{recipe.Name}.cpz");
            ModelExporter.Export(model, path, ModelFileFormat.Compact, overwrite: true, compact: new CompactWriteOptions { ExcludeHistory = true });
            var roundTrip = RoundTrip(model, path);
            var footprint = ModelFootprint.Of(model, new CompactWriteOptions { ExcludeHistory = true });
            return new Row(recipe, denseBytes, new FileInfo(path).Length, withHistory, model.Sparsity, mismatch.ReferenceAccuracy, mismatch.CompressedAccuracy,
                mismatch.Mismatches, mismatch.MismatchesReferenceRight, roundTrip, watch.Elapsed.TotalMinutes, footprint,
                string.Join(" > ", model.History.Select(h => h.Operation)));
        }
        finally
        {
            foreach (var m in owned) m.Dispose();
        }
    }

    /// <summary>The reference a recipe starts from (the caller disposes it).</summary>
    public CompressionModel ReferenceFor(Recipe recipe) => Reference(recipe);

    /// <summary>A retrain step on the training digits with validation, the model's reference as teacher.</summary>
    public CompressionModel Retrain(CompressionModel model, StepSettings settings) =>
        OperationRunner.Run("retrain", model, AsMeasured(settings), new OperationInputs { TrainingData = _train, ValidationData = _val });

    /// <summary>
    /// A label-preserving retrain on mixed-up teacher inputs only and, where it prunes gradually, by magnitude, as the
    /// footprint figures were measured (the default adds affine, elastic and cut-mixed inputs at 2.5 times the time,
    /// and prunes by Fisher score); other losses and explicit settings unchanged.
    /// </summary>
    private static StepSettings AsMeasured(StepSettings settings)
    {
        var loss = settings.GetString(RetrainOptions.Key.Loss) ?? RetrainOptions.DefaultLoss;
        if (loss != RetrainOptions.DefaultLoss) return settings;
        if (!settings.Has(RetrainOptions.Key.TeacherInputs)) settings.Set(RetrainOptions.Key.TeacherInputs, "mixup");
        var method = settings.GetEnum(RetrainOptions.Key.Method, RetrainMethod.Auto);
        if (method is RetrainMethod.Auto or RetrainMethod.Gradual && !settings.Has(RetrainOptions.Key.GradualScore)) settings.Set(RetrainOptions.Key.GradualScore, "magnitude");
        return settings;
    }

    public MismatchReport Mismatch(CompressionModel reference, CompressionModel model) =>
        MismatchMeasurer.Measure(reference, model, _test, OperationContext.None);

    /// <summary>The reference: trained once per architecture, seed and budget, then read from its compact file.</summary>
    private CompressionModel Reference(Recipe recipe)
    {
        var name = $"reference-{recipe.Architecture}-{_inputSize}-s{_args.Seed}-e{recipe.ReferenceEpochs}-lr{recipe.ReferenceRate}";
        var path = Path.Combine(_args.Out, name + ".cpz");
        if (File.Exists(path)) return ModelLoader.Load(path, new ModelLoadOptions { Name = name });
        Log(recipe.Name, $"training the reference {name}");
        using var fresh = ModelLoader.New(new ModelLoadOptions { Architecture = recipe.Architecture, NumClasses = 10, InputChannels = 1, InputSize = _inputSize, Seed = _args.Seed });
        var settings = new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", recipe.ReferenceEpochs)
            .Set("learning-rate", recipe.ReferenceRate).Set("seed", _args.Seed);
        var trained = OperationRunner.Run("retrain", fresh, settings, new OperationInputs { TrainingData = _train, ValidationData = _val },
            new OperationContext { Verbose = m => Log(name, m) });
        trained.Name = name;
        trained.Reference = null;
        ModelExporter.Export(trained, path, ModelFileFormat.Compact, overwrite: true);
        return trained;
    }

    private string Accuracy(CompressionModel reference, CompressionModel model)
    {
        var m = MismatchMeasurer.Measure(reference, model, _test, OperationContext.None);
        return $"{m.CompressedAccuracy:P2} test accuracy (reference {m.ReferenceAccuracy:P2}), {m.Mismatches} mismatches";
    }

    /// <summary>Reads the file back: "exact" when every tensor, mask, quantization record and the outputs on test digits are the same.</summary>
    private string RoundTrip(CompressionModel model, string path)
    {
        using var back = ModelLoader.Load(path, new ModelLoadOptions());
        var differences = ModelComparison.Differences(model, back);
        if (differences.Count > 0) return "DIFFERS: " + string.Join(", ", differences.Take(3));
        var order = Enumerable.Range(0, Math.Min(256, _test.Count)).ToArray();
        var (x, _) = _test.Batch(order, 0, order.Length);
        using (x)
        using (no_grad())
        using (var a = model.Forward(x))
        using (var b = back.Forward(x))
            return (a == b).all().item<bool>() ? "exact" : "DIFFERS: outputs";
    }

    private static void Log(string who, string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {who}: {message}");
}
