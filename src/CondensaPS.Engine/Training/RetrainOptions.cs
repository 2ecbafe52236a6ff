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

/// <summary>The settings of a "retrain" step, read and checked from <see cref="StepSettings"/>.</summary>
public sealed record RetrainOptions
{
    public const string Loss = "loss";
    public const string LossWeights = "loss-weights";
    public const string SoftAdaptKey = "soft-adapt";
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

    public static readonly IReadOnlyCollection<string> Keys = new[]
    {
        Loss, LossWeights, SoftAdaptKey, SoftAdaptBeta, SoftAdaptWindow, Temperature, Margin, Method, Epochs, LearningRate,
        Optimizer, Momentum, BatchSize, Seed, LcMu, LcMuGrowth,
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
    public double Beta { get; init; }
    public int Window { get; init; }
    public double TemperatureValue { get; init; }
    public double MarginValue { get; init; }
    public RetrainMethod RetrainMethod { get; init; }
    public int EpochCount { get; init; }
    public double Rate { get; init; }
    public RetrainOptimizer OptimizerKind { get; init; }
    public double MomentumValue { get; init; }
    public int Batch { get; init; }
    public int? SeedValue { get; init; }
    public double Mu { get; init; }
    public double MuGrowth { get; init; }

    public bool NeedsTeacher => Terms.Any(t => t != "cross-entropy");

    public static RetrainOptions From(StepSettings s)
    {
        IReadOnlyList<string> terms;
        var lossItems = s.GetStrings(Loss);
        try { terms = LossTerms.Expand(lossItems.Count == 0 ? new[] { DefaultLoss } : lossItems); }
        catch (ArgumentException e) { throw new StepSettingException(s.Step, Loss, e.Message, s[Loss]); }

        IReadOnlyList<double> weights;
        if (s.Has(LossWeights))
        {
            weights = s.GetDoubles(LossWeights);
            if (weights.Count != terms.Count)
                throw new StepSettingException(s.Step, LossWeights, $"gives {weights.Count} weight(s) for {terms.Count} term(s) ({string.Join(", ", terms)}).", s[LossWeights]);
            if (weights.Any(w => !(w >= 0) || double.IsInfinity(w)) || weights.Sum() <= 0)
                throw new StepSettingException(s.Step, LossWeights, "weights must be finite, >= 0 and not all zero.", s[LossWeights]);
        }
        else if (terms.SequenceEqual(LossTerms.LabelPreservingTerms)) weights = LossTerms.LabelPreservingWeights;
        else weights = Enumerable.Repeat(1.0 / terms.Count, terms.Count).ToList();

        var method = s.GetEnum(Method, RetrainMethod.FineTune);
        if (method != RetrainMethod.Lc)
            foreach (var key in new[] { LcMu, LcMuGrowth })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to method lc only.", s[key]);
        var optimizer = s.GetEnum(Optimizer, RetrainOptimizer.Sgd);
        return new RetrainOptions
        {
            Terms = terms,
            Weights = weights,
            SoftAdapt = s.GetEnum(SoftAdaptKey, SoftAdaptVariant.None),
            Beta = s.GetDouble(SoftAdaptBeta, 0.1, -1e6, 1e6),
            Window = (int)s.GetInt(SoftAdaptWindow, 10, 1, 100000),
            TemperatureValue = s.GetDouble(Temperature, DefaultTemperature, 1e-3, 1e3),
            MarginValue = s.GetDouble(Margin, 1.0, 0, 1e6),
            RetrainMethod = method,
            EpochCount = (int)s.GetInt(Epochs, DefaultEpochs, 1, 100000),
            Rate = s.GetDouble(LearningRate, DefaultLearningRate, 0, double.MaxValue, maxExclusive: false) is var lr && lr > 0 ? lr
                : throw new StepSettingException(s.Step, LearningRate, "must be > 0.", s[LearningRate]),
            OptimizerKind = optimizer,
            MomentumValue = s.GetDouble(Momentum, optimizer == RetrainOptimizer.Sgd ? DefaultMomentum : 0, 0, 1, maxExclusive: true),
            Batch = (int)s.GetInt(BatchSize, DefaultBatchSize, 1, 1 << 20),
            SeedValue = s.Has(Seed) ? (int)s.GetInt(Seed, 0, int.MinValue, int.MaxValue) : null,
            Mu = s.GetDouble(LcMu, 0.01, 0, 1e9, maxExclusive: false),
            MuGrowth = s.GetDouble(LcMuGrowth, 1.5, 1, 1e6),
        };
    }
}
