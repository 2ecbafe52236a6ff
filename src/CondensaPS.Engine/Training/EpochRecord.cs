using System.Globalization;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Training;

/// <summary>
/// The figures of one training epoch: mean loss, mean value and mean weight of each term, training accuracy,
/// throughput, and with validation data the validation accuracy and agreement with the reference.
/// </summary>
internal sealed record EpochRecord
{
    public required int Epoch { get; init; }
    public required double Loss { get; init; }
    /// <summary>Term name to mean value over the epoch's batches, in the loss's order.</summary>
    public required IReadOnlyList<KeyValuePair<string, double>> Terms { get; init; }
    /// <summary>Term name to mean weight over the epoch's batches (differs from the setting under SoftAdapt).</summary>
    public required IReadOnlyList<KeyValuePair<string, double>> Weights { get; init; }
    public required double TrainAccuracy { get; init; }
    public required double ImagesPerSecond { get; init; }
    /// <summary>The learning rate of the epoch's last batch (it moves within an epoch under a schedule).</summary>
    public double LearningRate { get; init; }
    public double? Accuracy { get; init; }
    public double? Agreement { get; init; }

    /// <summary>
    /// What the epoch is ranked by when the best epoch is kept: agreement with the reference (ties broken by
    /// accuracy), or accuracy without a reference, or the epoch number without validation data.
    /// </summary>
    public double Score => Agreement is double g ? g + (Accuracy ?? 0) * 1e-6 : Accuracy ?? Epoch;

    /// <summary>The record as the history step stores it (kebab-case keys, in a fixed order).</summary>
    public OrderedSettings ToSettings()
    {
        var record = new OrderedSettings();
        record.Add("epoch", (long)Epoch);
        record.Add("loss", Loss);
        var terms = new OrderedSettings();
        foreach (var (name, value) in Terms) terms.Add(name, value);
        var weights = new OrderedSettings();
        foreach (var (name, value) in Weights) weights.Add(name, value);
        record.Add("terms", terms);
        record.Add("weights", weights);
        record.Add("train-accuracy", TrainAccuracy);
        record.Add("images-per-second", ImagesPerSecond);
        record.Add("learning-rate", LearningRate);
        if (Accuracy is double a) record.Add("accuracy", a);
        if (Agreement is double g) record.Add("agreement", g);
        return record;
    }

    /// <summary>"Epoch 2: loss 0.1234, validation accuracy 97.10 %, agreement 98.20 %".</summary>
    public string Describe()
    {
        var line = FormattableString.Invariant($"Epoch {Epoch}: loss {Loss:0.0000}");
        if (Accuracy is double a) line += string.Create(CultureInfo.InvariantCulture, $", validation accuracy {a:P2}");
        if (Agreement is double g) line += string.Create(CultureInfo.InvariantCulture, $", agreement {g:P2}");
        return line;
    }
}
