using System.Diagnostics;
using CondensaPS.Engine.Training.Losses;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Running sums over one epoch's batches. The term and correct-count sums stay in torch, updated in place, so a
/// batch synchronises only once (for the loss value).
/// </summary>
internal sealed class EpochTotals : IDisposable
{
    private readonly IReadOnlyList<ILossTerm> _terms;
    private readonly Tensor _termTotals;
    private readonly Tensor _correct = zeros(1, dtype: ScalarType.Int64);
    private readonly double[] _weightSums;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private double _lossSum;

    public EpochTotals(IReadOnlyList<ILossTerm> terms)
    {
        _terms = terms;
        _termTotals = zeros(terms.Count, dtype: ScalarType.Float64);
        _weightSums = new double[terms.Count];
    }

    public int Batches { get; private set; }
    public long Seen { get; private set; }
    public double MeanLoss => _lossSum / Math.Max(1, Batches);
    public double ImagesPerSecond => Seen / Math.Max(1e-9, _watch.Elapsed.TotalSeconds);

    /// <summary>Adds one batch: its loss value, term values and weights, and the student's logits against the labels.</summary>
    public void Add(double loss, LossValue value, Tensor studentLogits, Tensor labels)
    {
        for (int k = 0; k < _terms.Count; k++) _weightSums[k] += value.Weights[k];
        _termTotals.add_(value.TermValues);
        _lossSum += loss;
        using (no_grad()) _correct.add_(studentLogits.argmax(1).eq(labels).sum());
        Seen += labels.shape[0];
        Batches++;
    }

    /// <summary>The epoch's record without validation figures (the trainer adds those).</summary>
    public EpochRecord ToRecord(int epoch)
    {
        var termSums = _termTotals.data<double>().ToArray();
        long correct = _correct.item<long>();
        return new EpochRecord
        {
            Epoch = epoch,
            Loss = _lossSum / Batches,
            Terms = _terms.Select((t, k) => new KeyValuePair<string, double>(t.Name, termSums[k] / Batches)).ToList(),
            Weights = _terms.Select((t, k) => new KeyValuePair<string, double>(t.Name, _weightSums[k] / Batches)).ToList(),
            TrainAccuracy = (double)correct / Math.Max(1, Seen),
            ImagesPerSecond = ImagesPerSecond,
        };
    }

    public void Dispose()
    {
        _termTotals.Dispose();
        _correct.Dispose();
    }
}
