using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training.Losses;

namespace CondensaPS.Engine.Training;

/// <summary>Recovery algorithm: fine-tuning with fixed masks, or Condensa's L-C (augmented Lagrangian).</summary>
public enum RetrainMethod
{
    FineTune,
    Lc,
}

public enum RetrainOptimizer
{
    Sgd,
    Adam,
}

/// <summary>
/// The settings of a "retrain" step, read and checked from <see cref="StepSettings"/>. The defaults live here and
/// only here: the cmdlet passes the parameters the user bound, a YAML step the keys it gives.
/// </summary>
public sealed record RetrainOptions
{
    /// <summary>The settings keys, as the cmdlet, the YAML strategy and the history spell them.</summary>
    public static class Key
    {
        public const string Loss = "loss";
        public const string LossWeights = "loss-weights";
        public const string SoftAdapt = "soft-adapt";
        public const string SoftAdaptBeta = "soft-adapt-beta";
        public const string SoftAdaptWindow = "soft-adapt-window";
        public const string Temperature = "temperature";
        public const string Margin = "margin";
        public const string Method = "method";
        public const string Epochs = "epochs";
        public const string LearningRate = "learning-rate";
        public const string Optimizer = "optimizer";
        public const string Momentum = "momentum";
        public const string BatchSize = "batch-size";
        public const string Seed = "seed";
        public const string LcMu = "lc-mu";
        public const string LcMuGrowth = "lc-mu-growth";
    }

    public static readonly IReadOnlyCollection<string> Keys = new[]
    {
        Key.Loss, Key.LossWeights, Key.SoftAdapt, Key.SoftAdaptBeta, Key.SoftAdaptWindow, Key.Temperature, Key.Margin, Key.Method,
        Key.Epochs, Key.LearningRate, Key.Optimizer, Key.Momentum, Key.BatchSize, Key.Seed, Key.LcMu, Key.LcMuGrowth,
    };

    /// <summary>Defaults: the best setting measured on the MNIST demo (docs/label-preserving-results.md).</summary>
    public const string DefaultLoss = "label-preserving";
    public const double DefaultTemperature = 4.0;
    public const int DefaultEpochs = 3;
    public const double DefaultLearningRate = 0.01;
    public const double DefaultMomentum = 0.9;
    public const int DefaultBatchSize = 64;

    public IReadOnlyList<string> Terms { get; init; } = Array.Empty<string>();
    public IReadOnlyList<double> Weights { get; init; } = Array.Empty<double>();
    public SoftAdaptVariant SoftAdapt { get; init; }
    public double SoftAdaptBeta { get; init; }
    public int SoftAdaptWindow { get; init; }
    public double Temperature { get; init; }
    public double Margin { get; init; }
    public RetrainMethod Method { get; init; }
    public int Epochs { get; init; }
    public double LearningRate { get; init; }
    public RetrainOptimizer Optimizer { get; init; }
    public double Momentum { get; init; }
    public int BatchSize { get; init; }
    /// <summary>The seed of the batch order, augmentation and dropout; null: the training data set's own seed.</summary>
    public int? Seed { get; init; }
    public double LcMu { get; init; }
    public double LcMuGrowth { get; init; }

    public bool NeedsTeacher => Terms.Any(t => t != "cross-entropy");

    public static RetrainOptions From(StepSettings s)
    {
        IReadOnlyList<string> terms;
        var lossItems = s.GetStrings(Key.Loss);
        try { terms = LossTerms.Expand(lossItems.Count == 0 ? new[] { DefaultLoss } : lossItems); }
        catch (ArgumentException e) { throw new StepSettingException(s.Step, Key.Loss, e.Message, s[Key.Loss]); }

        IReadOnlyList<double> weights;
        if (s.Has(Key.LossWeights))
        {
            weights = s.GetDoubles(Key.LossWeights);
            if (weights.Count != terms.Count)
                throw new StepSettingException(s.Step, Key.LossWeights, $"gives {weights.Count} weight(s) for {terms.Count} term(s) ({string.Join(", ", terms)}).", s[Key.LossWeights]);
            if (weights.Any(w => !(w >= 0) || double.IsInfinity(w)) || weights.Sum() <= 0)
                throw new StepSettingException(s.Step, Key.LossWeights, "weights must be finite, >= 0 and not all zero.", s[Key.LossWeights]);
        }
        else if (terms.SequenceEqual(LossTerms.LabelPreservingTerms)) weights = LossTerms.LabelPreservingWeights;
        else weights = Enumerable.Repeat(1.0 / terms.Count, terms.Count).ToList();

        var method = s.GetEnum(Key.Method, RetrainMethod.FineTune);
        if (method != RetrainMethod.Lc)
            foreach (var key in new[] { Key.LcMu, Key.LcMuGrowth })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to method lc only.", s[key]);
        var optimizer = s.GetEnum(Key.Optimizer, RetrainOptimizer.Sgd);
        return new RetrainOptions
        {
            Terms = terms,
            Weights = weights,
            SoftAdapt = s.GetEnum(Key.SoftAdapt, SoftAdaptVariant.None),
            SoftAdaptBeta = s.GetDouble(Key.SoftAdaptBeta, 0.1, -1e6, 1e6),
            SoftAdaptWindow = (int)s.GetInt(Key.SoftAdaptWindow, 10, 1, 100000),
            Temperature = s.GetDouble(Key.Temperature, DefaultTemperature, 1e-3, 1e3),
            Margin = s.GetDouble(Key.Margin, 1.0, 0, 1e6),
            Method = method,
            Epochs = (int)s.GetInt(Key.Epochs, DefaultEpochs, 1, 100000),
            LearningRate = s.GetDouble(Key.LearningRate, DefaultLearningRate, 0, double.MaxValue, maxExclusive: false) is var lr && lr > 0 ? lr
                : throw new StepSettingException(s.Step, Key.LearningRate, "must be > 0.", s[Key.LearningRate]),
            Optimizer = optimizer,
            Momentum = s.GetDouble(Key.Momentum, optimizer == RetrainOptimizer.Sgd ? DefaultMomentum : 0, 0, 1, maxExclusive: true),
            BatchSize = (int)s.GetInt(Key.BatchSize, DefaultBatchSize, 1, 1 << 20),
            Seed = s.Has(Key.Seed) ? (int)s.GetInt(Key.Seed, 0, int.MinValue, int.MaxValue) : null,
            LcMu = s.GetDouble(Key.LcMu, 0.01, 0, 1e9, maxExclusive: false),
            LcMuGrowth = s.GetDouble(Key.LcMuGrowth, 1.5, 1, 1e6),
        };
    }
}
