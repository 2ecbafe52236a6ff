using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training.Losses;

namespace CondensaPS.Engine.Training;

/// <summary>Recovery algorithm: fine-tuning with fixed masks, Condensa's L-C (augmented Lagrangian), or gradual pruning from the reference.</summary>
public enum RetrainMethod
{
    FineTune,
    Lc,
    /// <summary>Zhu and Gupta's gradual magnitude pruning: from the dense reference to the model's sparsity over the first epochs, then fine-tuning.</summary>
    Gradual,
    /// <summary>
    /// The default: Gradual where the loss learns from the reference and the model can be pruned again gradually from
    /// it (<see cref="GradualPruning.WhyNot"/>), else FineTune (so cross-entropy alone stays plain fine-tuning).
    /// </summary>
    Auto,
}

/// <summary>Which weights gradual pruning removes at each prune point.</summary>
public enum GradualScore
{
    /// <summary>The smallest weights (Zhu and Gupta).</summary>
    Magnitude,
    /// <summary>
    /// The weights whose removal the loss feels least by Optimal Brain Damage's diagonal estimate: w^2 times a running
    /// mean of the squared gradient (the empirical Fisher information) of the retraining loss, teacher terms included.
    /// </summary>
    Fisher,
    /// <summary>
    /// Optimal Brain Surgeon with a block-diagonal empirical Fisher (WoodFisher): scores w^2 / [F^-1]_qq from the last
    /// batches' gradients in blocks of consecutive weights, and the kept weights of each block updated to make up for
    /// the pruned ones.
    /// </summary>
    Obs,
}

/// <summary>Where L-C's w starts.</summary>
public enum LcStart
{
    /// <summary>The dense reference's weights, as Condensa's L-C starts (falls back to the compressed model without a matching reference).</summary>
    Reference,
    /// <summary>The compressed model's weights.</summary>
    Compressed,
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
        public const string FocalTemperature = "focal-temperature";
        public const string FocalAlpha = "focal-alpha";
        public const string FocalBeta = "focal-beta";
        public const string LogitDifferenceMargin = "logit-difference-margin";
        public const string LogitDifferencePower = "logit-difference-power";
        public const string Method = "method";
        public const string Epochs = "epochs";
        public const string LearningRate = "learning-rate";
        public const string Optimizer = "optimizer";
        public const string Momentum = "momentum";
        public const string BatchSize = "batch-size";
        public const string Seed = "seed";
        public const string LearningRateSchedule = "lr-schedule";
        public const string WarmupEpochs = "warmup-epochs";
        public const string MinLearningRate = "min-learning-rate";
        public const string StepEpochs = "lr-step-epochs";
        public const string Decay = "lr-decay";
        public const string Cycles = "lr-cycles";
        public const string TeacherInputs = "teacher-inputs";
        public const string TeacherInputWeight = "teacher-input-weight";
        public const string TeacherInputNoise = "teacher-input-noise";
        public const string DisagreementWeight = "disagreement-weight";
        public const string FeatureWeight = "feature-weight";
        public const string WrongReferenceWeight = "wrong-reference-weight";
        public const string LcMu = "lc-mu";
        public const string LcMuGrowth = "lc-mu-growth";
        public const string LcMuCap = "lc-mu-cap";
        public const string LcStart = "lc-start";
        public const string LcLearningRateDecay = "lc-lr-decay";
        public const string GradualEpochs = "gradual-epochs";
        public const string GradualSteps = "gradual-steps";
        public const string GradualScore = "gradual-score";
        public const string Rounding = "rounding";
        public const string MasterWeights = "master-weights";
        public const string ExampleScores = "example-scores";
        public const string ExampleScoreName = "example-score-name";
        public const string LongTailWeight = "long-tail-weight";
    }

    /// <summary>
    /// The long-tail weight: above 0 the long tail weighs more, below 0 less; above -1, so that every sample keeps a
    /// positive weight (1 + w x score with scores up to 1).
    /// </summary>
    private static double LongTailWeightOf(StepSettings s)
    {
        double weight = s.GetDouble(Key.LongTailWeight, DefaultLongTailWeight, max: 1e6);
        if (weight <= -1)
            throw new StepSettingException(s.Step, Key.LongTailWeight, "must be greater than -1: a sample weighs 1 + this x its score (up to 1), which must stay positive.", s[Key.LongTailWeight]);
        return weight;
    }

    public static readonly IReadOnlyCollection<string> Keys = new[]
    {
        Key.Loss, Key.LossWeights, Key.SoftAdapt, Key.SoftAdaptBeta, Key.SoftAdaptWindow, Key.Temperature, Key.Margin,
        Key.FocalTemperature, Key.FocalAlpha, Key.FocalBeta, Key.LogitDifferenceMargin, Key.LogitDifferencePower, Key.Method,
        Key.Epochs, Key.LearningRate, Key.Optimizer, Key.Momentum, Key.BatchSize, Key.Seed, Key.LearningRateSchedule, Key.WarmupEpochs,
        Key.MinLearningRate, Key.StepEpochs, Key.Decay, Key.Cycles, Key.TeacherInputs, Key.TeacherInputWeight, Key.TeacherInputNoise,
        Key.DisagreementWeight, Key.FeatureWeight, Key.WrongReferenceWeight, Key.LcMu, Key.LcMuGrowth, Key.LcMuCap, Key.LcStart, Key.LcLearningRateDecay,
        Key.GradualEpochs, Key.GradualSteps, Key.GradualScore,
        Key.Rounding, Key.MasterWeights,
        Key.ExampleScores, Key.ExampleScoreName, Key.LongTailWeight,
    };

    /// <summary>
    /// Defaults: the best setting measured on the MNIST demo (docs/label-preserving-results.md). The temperature is
    /// distillation's (plain knowledge distillation at T = 4); the label-preserving preset brings its own (2).
    /// </summary>
    public const string DefaultLoss = "label-preserving";
    public const double DefaultTemperature = 4.0;
    public const int DefaultEpochs = 15;
    public const LearningRateShape DefaultSchedule = LearningRateShape.Cosine;
    public const double DefaultLearningRate = 0.01;
    public const double DefaultMomentum = 0.9;
    public const int DefaultBatchSize = 64;
    public const RetrainMethod DefaultMethod = RetrainMethod.Auto;
    /// <summary>With example scores: a sample weighs 1 + this x max(0, its score).</summary>
    public const double DefaultLongTailWeight = 2.0;

    public IReadOnlyList<string> Terms { get; init; } = Array.Empty<string>();
    public IReadOnlyList<double> Weights { get; init; } = Array.Empty<double>();
    public SoftAdaptVariant SoftAdapt { get; init; }
    public double SoftAdaptBeta { get; init; }
    public int SoftAdaptWindow { get; init; }
    public double Temperature { get; init; }
    public double Margin { get; init; }
    /// <summary>Focal distillation's temperature and per-sample weights alpha + beta * [reference right].</summary>
    public double FocalTemperature { get; init; }
    public double FocalAlpha { get; init; }
    public double FocalBeta { get; init; }
    /// <summary>Logit-difference inhibition: differences up to the margin are free, larger ones cost |z_s - z_t|^power.</summary>
    public double LogitDifferenceMargin { get; init; }
    public double LogitDifferencePower { get; init; }
    public RetrainMethod Method { get; init; }
    public int Epochs { get; init; }
    public double LearningRate { get; init; }
    public RetrainOptimizer Optimizer { get; init; }
    public double Momentum { get; init; }
    public int BatchSize { get; init; }
    /// <summary>The seed of the batch order, augmentation and dropout; null: the training data set's own seed.</summary>
    public int? Seed { get; init; }
    /// <summary>The learning rate over the epochs (warm-up, then constant, step or cosine).</summary>
    public LearningRateSchedule Schedule { get; init; } = null!;
    /// <summary>Extra inputs made from each batch that the loss's label-free terms are computed on too (one batch per kind; empty: none).</summary>
    public IReadOnlyList<TeacherInputKind> TeacherInputs { get; init; } = Array.Empty<TeacherInputKind>();
    /// <summary>The weight of the loss on the extra inputs, relative to the loss on the batch (1 = the same).</summary>
    public double TeacherInputWeight { get; init; }
    public double TeacherInputNoise { get; init; }
    /// <summary>Samples where the student's label differs from the teacher's weigh 1 + this in every term (0: all alike).</summary>
    public double DisagreementWeight { get; init; }
    /// <summary>The weight of intermediate-feature matching (each layer's output against the reference's; 0: off).</summary>
    public double FeatureWeight { get; init; }
    /// <summary>The scale of the reference's terms on training samples the reference gets wrong (1: as elsewhere; 0: there only the labels count).</summary>
    public double WrongReferenceWeight { get; init; }
    public double LcMu { get; init; }
    public double LcMuGrowth { get; init; }
    /// <summary>L-C: mu stops growing once it exceeds this (Condensa's mu_cap, 10,000).</summary>
    public double LcMuCap { get; init; }
    /// <summary>L-C: where w starts, the dense reference (Condensa) or the compressed model.</summary>
    public LcStart LcStart { get; init; }
    /// <summary>L-C: the factor the learning rate decays by, exponentially, over each L-step (Condensa's lr_end / lr).</summary>
    public double LcLearningRateDecay { get; init; }
    /// <summary>Gradual: the epochs over which the sparsity ramps up from the dense reference to the model's.</summary>
    public double GradualEpochs { get; init; }
    /// <summary>Gradual: the number of prune points, spread evenly over the ramp.</summary>
    public int GradualSteps { get; init; }
    /// <summary>Gradual: which weights each prune point removes.</summary>
    public GradualScore GradualScore { get; init; }
    /// <summary>How float16, bfloat16 and int8 parameters are rounded again after each step (fine-tuning).</summary>
    public Quantization.Rounding Rounding { get; init; }
    /// <summary>Whether rounded parameters train through full-precision master copies (default) or are rounded as they are.</summary>
    public bool MasterWeights { get; init; } = true;
    /// <summary>Long-tail weighting: the memorisation file (memorization.json) whose scores weight the training samples; null without.</summary>
    public string? ExampleScoresFile { get; init; }
    /// <summary>Long-tail weighting: the scores themselves, one per training sample (instead of a file).</summary>
    public IReadOnlyList<double>? ExampleScoreValues { get; init; }
    /// <summary>Which score of the file (default: the training examples' memorisation).</summary>
    public string? ExampleScoreName { get; init; }
    /// <summary>A sample weighs 1 + this x max(0, its score) in every term (0: all alike).</summary>
    public double LongTailWeight { get; init; }

    public bool HasExampleScores => ExampleScoresFile is not null || ExampleScoreValues is not null;

    public bool NeedsTeacher => Terms.Any(t => t != "cross-entropy") || FeatureWeight > 0;

    /// <summary>A term's own settings are errors when the loss does not have the term (they would silently do nothing).</summary>
    private static void RequireTerm(StepSettings s, IReadOnlyList<string> terms, string term, params string[] keys)
    {
        if (terms.Contains(term)) return;
        foreach (var key in keys)
            if (s.Has(key)) throw new StepSettingException(s.Step, key, $"applies to loss term {term} only, and the loss is {string.Join(", ", terms)}.", s[key]);
    }

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
        else if (LossTerms.Presets.FirstOrDefault(p => terms.SequenceEqual(p.Terms)) is { } named) weights = named.Weights;
        else weights = Enumerable.Repeat(1.0 / terms.Count, terms.Count).ToList();

        RequireTerm(s, terms, "focal-distillation", Key.FocalTemperature, Key.FocalAlpha, Key.FocalBeta);
        RequireTerm(s, terms, "logit-difference", Key.LogitDifferenceMargin, Key.LogitDifferencePower);
        RequireTerm(s, terms, "margin", Key.Margin);

        var method = s.GetEnum(Key.Method, DefaultMethod);
        if (method != RetrainMethod.Lc)
            foreach (var key in new[] { Key.LcMu, Key.LcMuGrowth, Key.LcMuCap, Key.LcStart, Key.LcLearningRateDecay })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to method lc only.", s[key]);
        if (method != RetrainMethod.FineTune && method != RetrainMethod.Auto)
            foreach (var key in new[] { Key.Rounding, Key.MasterWeights })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, $"{s[key]} applies to method fine-tune, whose steps round the weights again; L-C rounds in its C-step.", s[key]);
        var optimizer = s.GetEnum(Key.Optimizer, RetrainOptimizer.Sgd);
        int epochs = (int)s.GetInt(Key.Epochs, DefaultEpochs, 1, 100000);
        if (method != RetrainMethod.Gradual && method != RetrainMethod.Auto)
            foreach (var key in new[] { Key.GradualEpochs, Key.GradualSteps, Key.GradualScore })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to method gradual (or auto) only.", s[key]);
        if (method == RetrainMethod.Gradual && epochs < 2)
            throw new StepSettingException(s.Step, Key.Epochs, "method gradual needs at least 2 epochs (the ramp, then recovery).", s[Key.Epochs]);
        // The ramp must end before the last epoch; with one epoch (auto then fine-tunes) any ramp is moot.
        double gradualEpochs = s.GetDouble(Key.GradualEpochs, Math.Max(1, epochs / 2), 1e-3, Math.Max(epochs, 2), maxExclusive: true);
        double rate = s.GetDouble(Key.LearningRate, DefaultLearningRate, 0, double.MaxValue, maxExclusive: false) is var lr && lr > 0 ? lr
            : throw new StepSettingException(s.Step, Key.LearningRate, "must be > 0.", s[Key.LearningRate]);
        var shape = s.GetEnum(Key.LearningRateSchedule, DefaultSchedule);
        if (shape != LearningRateShape.Step)
            foreach (var key in new[] { Key.StepEpochs, Key.Decay })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to lr-schedule step only.", s[key]);
        if (shape != LearningRateShape.Cosine)
            foreach (var key in new[] { Key.MinLearningRate, Key.Cycles })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies to lr-schedule cosine only.", s[key]);
        var schedule = new LearningRateSchedule(shape, rate, epochs,
            warmupEpochs: s.GetDouble(Key.WarmupEpochs, 0, 0, epochs),
            minimum: s.GetDouble(Key.MinLearningRate, 0, 0, rate),
            stepEpochs: s.GetDouble(Key.StepEpochs, Math.Max(1, epochs / 3), 1e-6, 1e6),
            decay: s.GetDouble(Key.Decay, 0.1, 1e-9, 1),
            cycles: (int)s.GetInt(Key.Cycles, 1, 1, Math.Max(1, epochs)));
        // The teacher inputs default to the preset's (the label-preserving recipe trains on mixed-up, affine, elastic and cut-mixed inputs too).
        var preset = LossTerms.PresetOf(lossItems.Count == 0 ? new[] { DefaultLoss } : lossItems);
        var teacherInputs = s.Has(Key.TeacherInputs)
            ? s.GetEnums(Key.TeacherInputs, TeacherInputKind.None)
            : preset?.TeacherInputs ?? Array.Empty<TeacherInputKind>();
        if (teacherInputs.Contains(TeacherInputKind.None))
        {
            if (teacherInputs.Count > 1)
                throw new StepSettingException(s.Step, Key.TeacherInputs, "none cannot be listed with other kinds.", s[Key.TeacherInputs]);
            teacherInputs = Array.Empty<TeacherInputKind>();
        }
        if (teacherInputs.Distinct().Count() != teacherInputs.Count)
            throw new StepSettingException(s.Step, Key.TeacherInputs, "lists a kind twice.", s[Key.TeacherInputs]);
        if (teacherInputs.Count == 0)
            foreach (var key in new[] { Key.TeacherInputWeight, Key.TeacherInputNoise })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies with teacher-inputs only.", s[key]);
        if (!teacherInputs.Contains(TeacherInputKind.Noise) && s.Has(Key.TeacherInputNoise))
            throw new StepSettingException(s.Step, Key.TeacherInputNoise, "applies to teacher-inputs noise only.", s[Key.TeacherInputNoise]);
        double featureWeight = s.GetDouble(Key.FeatureWeight, 0, 0, 1e6);
        if (teacherInputs.Count > 0 && !terms.Any(LossTerms.LabelFree.Contains) && featureWeight == 0)
            throw new StepSettingException(s.Step, Key.TeacherInputs, $"needs a loss term that reads no labels ({string.Join(", ", LossTerms.LabelFree)}); the loss is {string.Join(", ", terms)}.", s[Key.TeacherInputs]);
        if (!s.Has(Key.ExampleScores))
            foreach (var key in new[] { Key.ExampleScoreName, Key.LongTailWeight })
                if (s.Has(key)) throw new StepSettingException(s.Step, key, "applies with example-scores only (the memorisation file, or one score per training sample).", s[key]);
        string? scoresFile = null;
        IReadOnlyList<double>? scoreValues = null;
        if (s[Key.ExampleScores] is System.Collections.IList) scoreValues = s.GetDoubles(Key.ExampleScores);
        else if (s.Has(Key.ExampleScores)) scoresFile = s.GetString(Key.ExampleScores) is { Length: > 0 } file ? file
            : throw new StepSettingException(s.Step, Key.ExampleScores, "needs the path of a memorisation file (memorization.json) or a list of scores.", s[Key.ExampleScores]);
        if (scoreValues is not null && s.Has(Key.ExampleScoreName))
            throw new StepSettingException(s.Step, Key.ExampleScoreName, "picks a score of a memorisation file; example-scores is a list of scores.", s[Key.ExampleScoreName]);
        return new RetrainOptions
        {
            Terms = terms,
            Weights = weights,
            SoftAdapt = s.GetEnum(Key.SoftAdapt, SoftAdaptVariant.None),
            SoftAdaptBeta = s.GetDouble(Key.SoftAdaptBeta, 0.1, -1e6, 1e6),
            SoftAdaptWindow = (int)s.GetInt(Key.SoftAdaptWindow, 10, 1, 100000),
            Temperature = s.GetDouble(Key.Temperature, preset?.Temperature ?? DefaultTemperature, 1e-3, 1e3),
            Margin = s.GetDouble(Key.Margin, 1.0, 0, 1e6),
            FocalTemperature = s.GetDouble(Key.FocalTemperature, FocalDistillationTerm.DefaultTemperature, 1e-3, 1e4),
            FocalAlpha = s.GetDouble(Key.FocalAlpha, FocalDistillationTerm.DefaultAlpha, 0, 1e6),
            FocalBeta = s.GetDouble(Key.FocalBeta, FocalDistillationTerm.DefaultBeta, 0, 1e6),
            LogitDifferenceMargin = s.GetDouble(Key.LogitDifferenceMargin, LogitDifferenceTerm.DefaultMargin, 0, 1e6),
            LogitDifferencePower = s.GetDouble(Key.LogitDifferencePower, LogitDifferenceTerm.DefaultPower, 1, 16),
            Method = method,
            Epochs = epochs,
            LearningRate = rate,
            Schedule = schedule,
            TeacherInputs = teacherInputs,
            TeacherInputWeight = s.GetDouble(Key.TeacherInputWeight, 1, 0, 1e6),
            TeacherInputNoise = s.GetDouble(Key.TeacherInputNoise, 0.5, 0, 1e3),
            DisagreementWeight = s.GetDouble(Key.DisagreementWeight, 0, 0, 1e6),
            FeatureWeight = featureWeight,
            // The label-preserving preset drops the reference's terms where the reference is wrong (0); others keep them (1).
            WrongReferenceWeight = s.GetDouble(Key.WrongReferenceWeight, preset?.WrongReferenceWeight ?? 1, 0, 1e6),
            Optimizer = optimizer,
            Momentum = s.GetDouble(Key.Momentum, optimizer == RetrainOptimizer.Sgd ? DefaultMomentum : 0, 0, 1, maxExclusive: true),
            BatchSize = (int)s.GetInt(Key.BatchSize, DefaultBatchSize, 1, 1 << 20),
            Seed = s.Has(Key.Seed) ? (int)s.GetInt(Key.Seed, 0, int.MinValue, int.MaxValue) : null,
            LcMu = s.GetDouble(Key.LcMu, 0.01, 0, 1e9, maxExclusive: false),
            LcMuGrowth = s.GetDouble(Key.LcMuGrowth, 1.5, 1, 1e6),
            LcMuCap = s.GetDouble(Key.LcMuCap, 1e4, 0, double.MaxValue),
            LcStart = s.GetEnum(Key.LcStart, LcStart.Reference),
            LcLearningRateDecay = s.GetDouble(Key.LcLearningRateDecay, 0.01, 1e-9, 1),
            GradualEpochs = gradualEpochs,
            GradualSteps = (int)s.GetInt(Key.GradualSteps, 10, 1, 1000000),
            // The label-preserving preset prunes gradually by Fisher score (docs/label-preserving-results.md, stop 25); others by magnitude.
            GradualScore = s.GetEnum(Key.GradualScore, preset?.GradualScore ?? GradualScore.Magnitude),
            Rounding = s.GetEnum(Key.Rounding, Quantization.Rounding.Nearest),
            MasterWeights = s.GetBool(Key.MasterWeights, true),
            ExampleScoresFile = scoresFile,
            ExampleScoreValues = scoreValues,
            ExampleScoreName = s.GetString(Key.ExampleScoreName),
            LongTailWeight = LongTailWeightOf(s),
        };
    }
}
