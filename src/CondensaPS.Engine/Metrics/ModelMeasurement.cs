namespace CondensaPS.Engine.Metrics;

/// <summary>
/// What Measure-Model (and the "measure" step) report for one model: inference latency percentiles and throughput
/// over timed batches after warm-up, training-step throughput, and the footprint (parameters, non-zeros, dense fp32
/// bytes, compact bytes). With a reference: its own measurement, a latency speedup and a size ratio.
/// </summary>
public sealed class ModelMeasurement
{
    public required string Model { get; init; }
    public required string Architecture { get; init; }
    public required string Device { get; init; }
    public required string DType { get; init; }
    /// <summary>Torch intra-op threads the timings ran with.</summary>
    public required int Threads { get; init; }
    /// <summary>The shape of one sample; each batch is [BatchSize, ..InputShape].</summary>
    public required IReadOnlyList<long> InputShape { get; init; }
    public required int BatchSize { get; init; }
    public required int Iterations { get; init; }
    public required int Warmup { get; init; }

    /// <summary>Median wall time of one inference batch, in milliseconds.</summary>
    public required double LatencyP50Ms { get; init; }
    /// <summary>95th percentile (nearest rank) of one inference batch, in milliseconds.</summary>
    public required double LatencyP95Ms { get; init; }
    public required double LatencyMeanMs { get; init; }
    /// <summary>Inference samples per second over the timed batches.</summary>
    public required double Throughput { get; init; }
    /// <summary>Training samples per second (forward, backward, SGD step, masks re-applied) on a copy; null when not measured.</summary>
    public double? TrainingThroughput { get; init; }
    /// <summary>Median wall time of one training step, in milliseconds; null when not measured.</summary>
    public double? TrainingStepP50Ms { get; init; }

    /// <summary>Multiply-accumulates of one sample through the convolution and linear layers; null when the model's structure cannot be followed.</summary>
    public long? Macs { get; init; }
    public required long Parameters { get; init; }
    public required long NonZeros { get; init; }
    public required double Sparsity { get; init; }
    /// <summary>Parameters and buffers as dense fp32.</summary>
    public required long DenseBytes { get; init; }
    /// <summary>Bytes of the model in the compact format (.cpz), measured by encoding it.</summary>
    public required long CompactBytes { get; init; }
    /// <summary>DenseBytes / CompactBytes.</summary>
    public double CompressionRatio => CompactBytes == 0 ? 0 : (double)DenseBytes / CompactBytes;

    /// <summary>The reference's name, when one was measured alongside.</summary>
    public string? Reference { get; init; }
    public ModelMeasurement? ReferenceMeasurement { get; init; }
    /// <summary>Reference p50 latency / this p50 latency (above 1: this model is faster).</summary>
    public double? Speedup => ReferenceMeasurement is null || LatencyP50Ms <= 0 ? null : ReferenceMeasurement.LatencyP50Ms / LatencyP50Ms;
    /// <summary>Reference multiply-accumulates / these (above 1: this model computes less per sample).</summary>
    public double? MacsRatio => ReferenceMeasurement?.Macs is long r && Macs is long m && m > 0 ? (double)r / m : null;
    /// <summary>Reference compact bytes / these compact bytes (above 1: this model is smaller on disk).</summary>
    public double? SizeRatio => ReferenceMeasurement is null || CompactBytes == 0 ? null : (double)ReferenceMeasurement.CompactBytes / CompactBytes;

    public override string ToString() =>
        $"{Model}: p50 {LatencyP50Ms:N2} ms, p95 {LatencyP95Ms:N2} ms, {Throughput:N1} samples/s, {CompactBytes:N0} compact bytes ({CompressionRatio:N2}x)"
        + (Macs is long macs ? $", {macs:N0} MACs" : "")
        + (Speedup is { } s ? $", speedup {s:N2}x, size ratio {SizeRatio:N2}x vs {Reference}" : "");
}
