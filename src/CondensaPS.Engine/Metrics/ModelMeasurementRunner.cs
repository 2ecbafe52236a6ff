using System.Diagnostics;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// Times a model: <c>Warmup</c> untimed then <c>Iterations</c> timed inference batches (eval mode, no gradients), then
/// the same for training steps on a copy (so the measured model is never changed), and encodes it to count its compact
/// bytes. Inputs are seeded random tensors, identical for a model and its reference. Cancellation is checked between
/// batches; each batch runs in its own dispose scope.
/// </summary>
public static class ModelMeasurementRunner
{
    public static ModelMeasurement Measure(CompressionModel model, ModelMeasurementOptions options, CompressionModel? reference = null, OperationContext? context = null)
    {
        context ??= OperationContext.None;
        TorchRuntime.EnsureInitialized();
        options.Validate();
        var sampleShape = SampleShape(model, options, reference);
        ModelMeasurement? referenceMeasurement = null;
        if (reference is not null)
        {
            if (ReferenceEquals(reference, model))
                throw new EngineException("ReferenceIsModel", EngineErrorKind.InvalidArgument, $"The reference is model '{model.Name}' itself; pass the model it was compressed from.", reference.Name);
            referenceMeasurement = MeasureOne(reference, options, sampleShape, context, $"reference '{reference.Name}'");
        }
        var measurement = MeasureOne(model, options, sampleShape, context, $"'{model.Name}'");
        if (referenceMeasurement is null) return measurement;
        return Copy(measurement, reference!.Name, referenceMeasurement);
    }

    private static IReadOnlyList<long> SampleShape(CompressionModel model, ModelMeasurementOptions options, CompressionModel? reference)
    {
        if (options.InputShape is { } given) return given;
        if (options.Data is { } data)
        {
            Data.DatasetModelCheck.Require(data, model);
            return data.SampleShape;
        }
        return model.InputShape ?? reference?.InputShape ?? throw new EngineException("InputShapeRequired", EngineErrorKind.InvalidArgument,
            $"Model '{model.Name}' is TorchScript and does not say what input it takes; give the shape of one sample with -InputShape (e.g. 3,224,224).", model.Name);
    }

    private static ModelMeasurement MeasureOne(CompressionModel model, ModelMeasurementOptions options, IReadOnlyList<long> sampleShape, OperationContext context, string label)
    {
        var batchShape = new[] { (long)options.BatchSize }.Concat(sampleShape).ToArray();
        context.Log($"Measuring {label} on {model.Device} with {TorchRuntime.Threads} thread(s): batches of [{string.Join("x", batchShape)}], {options.Warmup} warm-up + {options.Iterations} timed iterations.");
        var generator = new Generator((ulong)options.Seed);
        using var input = FirstBatch(options, batchShape, generator).to(model.TorchDevice);

        var latencies = TimeInference(model, input, options, context, label);
        double? trainingThroughput = null, trainingP50 = null;
        if (options.Training)
        {
            var steps = TimeTraining(model, input, options, generator, context, label);
            if (steps is not null)
            {
                trainingP50 = Percentile(steps, 0.5);
                trainingThroughput = options.BatchSize * steps.Count / (steps.Sum() / 1000.0);
            }
        }
        context.Report(new OperationProgress("Measure-Model", $"Encoding {label} to count its compact bytes", -1));
        var footprint = ModelFootprint.Of(model);
        var macs = CountMacs(model, sampleShape, context, label);
        return new ModelMeasurement
        {
            Model = model.Name,
            Architecture = model.Architecture,
            Device = model.Device,
            DType = model.DType,
            Threads = TorchRuntime.Threads,
            InputShape = sampleShape.ToArray(),
            BatchSize = options.BatchSize,
            Iterations = options.Iterations,
            Warmup = options.Warmup,
            LatencyP50Ms = Percentile(latencies, 0.5),
            LatencyP95Ms = Percentile(latencies, 0.95),
            LatencyMeanMs = latencies.Average(),
            Throughput = options.BatchSize * latencies.Count / (latencies.Sum() / 1000.0),
            TrainingThroughput = trainingThroughput,
            TrainingStepP50Ms = trainingP50,
            Macs = macs,
            Parameters = model.Parameters,
            NonZeros = model.NonZeros,
            Sparsity = model.Sparsity,
            DenseBytes = footprint.DenseBytes,
            CompactBytes = footprint.CompactBytes,
        };
    }

    /// <summary>Multiply-accumulates per sample from the model's structure; null (and a note in the log) when its code cannot be followed.</summary>
    private static long? CountMacs(CompressionModel model, IReadOnlyList<long> sampleShape, OperationContext context, string label)
    {
        try
        {
            return Structure.ModelStructures.Of(model, sampleShape).Macs;
        }
        catch (EngineException e)
        {
            context.Log($"Multiply-accumulates of {label} are not counted: {e.Message}");
            return null;
        }
    }

    private static List<double> TimeInference(CompressionModel model, Tensor input, ModelMeasurementOptions options, OperationContext context, string label)
    {
        bool wasTraining = model.Module.training;
        model.Module.eval();
        var times = new List<double>(options.Iterations);
        try
        {
            using var _ = no_grad();
            int total = options.Warmup + options.Iterations;
            for (int i = 0; i < total; i++)
            {
                context.ThrowIfCancelled();
                if (i % 5 == 0)
                    context.Report(new OperationProgress("Measure-Model", $"Inference, {label}: {(i < options.Warmup ? "warm-up" : "timed")} batch {i + 1} of {total}", 100 * i / total));
                using var scope = NewDisposeScope();
                long start = Stopwatch.GetTimestamp();
                RunForward(model, input);
                Synchronize(model.TorchDevice);
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (i >= options.Warmup) times.Add(ms);
            }
        }
        finally
        {
            if (wasTraining) model.Module.train();
        }
        return times;
    }

    /// <summary>Training steps on a copy: forward, cross-entropy against random labels, backward, SGD step, masks re-applied.</summary>
    private static List<double>? TimeTraining(CompressionModel model, Tensor input, ModelMeasurementOptions options, Generator generator, OperationContext context, string label)
    {
        if (model.IsTraced)
            context.Log($"{label} was traced: its batch norm stays in its traced mode while training steps are timed.");
        using var copy = model.Clone();
        copy.Module.train();
        long classes;
        using (no_grad())
        using (var probe = RunForward(copy, input))
        {
            if (probe.dim() != 2)
            {
                context.Warn($"{label} returns outputs of shape [{string.Join("x", probe.shape)}], not [batch, classes]: training throughput is not measured.");
                return null;
            }
            classes = probe.shape[1];
        }
        using var labels = randint(0, classes, new long[] { options.BatchSize }, generator: generator, dtype: ScalarType.Int64).to(model.TorchDevice);
        var parameters = copy.Module.parameters().ToList();
        using var optimizer = optim.SGD(parameters, 1e-3);
        var times = new List<double>(options.Iterations);
        int total = options.Warmup + options.Iterations;
        bool guard = Training.ConvolutionGradientGuard.Needed(copy, input.shape[1]);
        for (int i = 0; i < total; i++)
        {
            context.ThrowIfCancelled();
            if (i % 5 == 0)
                context.Report(new OperationProgress("Measure-Model", $"Training steps, {label}: {(i < options.Warmup ? "warm-up" : "timed")} step {i + 1} of {total}", 100 * i / total));
            using var scope = NewDisposeScope();
            long start = Stopwatch.GetTimestamp();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(copy.Callable.call(input), labels);
            Training.ConvolutionGradientGuard.Run(guard, loss.backward);
            optimizer.step();
            copy.ApplyMasks();
            Synchronize(model.TorchDevice);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= options.Warmup) times.Add(ms);
        }
        return times;
    }

    /// <summary>The data set's first samples (in order, as many times over as the batch needs), else seeded noise.</summary>
    private static Tensor FirstBatch(ModelMeasurementOptions options, long[] batchShape, Generator generator)
    {
        if (options.Data is not { } data) return randn(batchShape, generator: generator);
        using var scope = NewDisposeScope();
        var order = Enumerable.Range(0, options.BatchSize).Select(i => i % data.Count).ToArray();
        var (inputs, _) = data.Batch(order, 0, order.Length);
        return inputs.MoveToOuterDisposeScope();
    }

    private static Tensor RunForward(CompressionModel model, Tensor input)
    {
        try
        {
            return model.Forward(input);
        }
        catch (Exception e) when (e is not EngineException and not OperationCanceledException)
        {
            throw new EngineException("InputShapeMismatch", EngineErrorKind.InvalidArgument,
                $"Model '{model.Name}' cannot run on a batch of shape [{string.Join("x", input.shape)}]: {Formats.ModelLoader.FirstLine(e.Message)}", model.Name, e);
        }
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }

    /// <summary>Nearest-rank percentile of the timings.</summary>
    internal static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToList();
        int rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    private static ModelMeasurement Copy(ModelMeasurement m, string reference, ModelMeasurement referenceMeasurement) => new()
    {
        Model = m.Model, Architecture = m.Architecture, Device = m.Device, DType = m.DType, Threads = m.Threads,
        InputShape = m.InputShape, BatchSize = m.BatchSize, Iterations = m.Iterations, Warmup = m.Warmup,
        LatencyP50Ms = m.LatencyP50Ms, LatencyP95Ms = m.LatencyP95Ms, LatencyMeanMs = m.LatencyMeanMs, Throughput = m.Throughput,
        TrainingThroughput = m.TrainingThroughput, TrainingStepP50Ms = m.TrainingStepP50Ms,
        Macs = m.Macs, Parameters = m.Parameters, NonZeros = m.NonZeros, Sparsity = m.Sparsity, DenseBytes = m.DenseBytes, CompactBytes = m.CompactBytes,
        Reference = reference, ReferenceMeasurement = referenceMeasurement,
    };
}
