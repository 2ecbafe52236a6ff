using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training;
using CondensaPS.Engine.Training.Losses;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Start-LabelPreservingRetrain; its help (synopsis, description, parameters, examples) is docs/en-US/Start-LabelPreservingRetrain.md.</summary>
[Cmdlet(VerbsLifecycle.Start, "LabelPreservingRetrain")]
[OutputType(typeof(CompressionModel))]
public sealed class StartLabelPreservingRetrainCommand : StepCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0)]
    public Dataset Data { get; set; } = null!;

    /// <summary>Keeps the epoch with the best agreement with the reference on this data.</summary>
    [Parameter]
    public Dataset? ValidationData { get; set; }

    /// <summary>Inputs without labels (their labels are never read) that the reference labels: the teacher terms learn from them too.</summary>
    [Parameter]
    public Dataset? TeacherData { get; set; }

    /// <summary>The teacher (default: the model's recorded reference).</summary>
    [Parameter]
    public CompressionModel? Reference { get; set; }

    /// <summary>
    /// A preset, LabelPreserving (default) or PositiveCongruent (cross-entropy + focal distillation, Yan et al. 2021),
    /// or terms: CrossEntropy, Distillation, TeacherLabel, LogitMse, Margin, FocalDistillation, LogitDifference.
    /// CrossEntropy alone is the fine-tuning baseline; Distillation alone is plain knowledge distillation.
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(LossCompleter))]
    public string[]? Loss { get; set; }

    [Parameter]
    public double[]? LossWeights { get; set; }

    [Parameter]
    public SoftAdaptVariant SoftAdapt { get; set; }

    [Parameter]
    public double SoftAdaptBeta { get; set; }

    [Parameter]
    [ValidateRange(1, 100000)]
    public int SoftAdaptWindow { get; set; }

    [Parameter]
    public double Temperature { get; set; }

    /// <summary>Focal distillation: temperature (default 100).</summary>
    [Parameter]
    public double FocalTemperature { get; set; }

    /// <summary>Focal distillation: the weight every sample gets (default 1).</summary>
    [Parameter]
    public double FocalAlpha { get; set; }

    /// <summary>Focal distillation: the extra weight of samples the reference gets right (default 5).</summary>
    [Parameter]
    public double FocalBeta { get; set; }

    /// <summary>Logit-difference inhibition: logit differences up to this margin are free (default 0.5).</summary>
    [Parameter]
    public double LogitDifferenceMargin { get; set; }

    /// <summary>Logit-difference inhibition: larger differences cost |z_s - z_t| to this power (default 2).</summary>
    [Parameter]
    public double LogitDifferencePower { get; set; }

    [Parameter]
    public RetrainMethod Method { get; set; }

    [Parameter]
    [ValidateRange(1, 100000)]
    public int Epochs { get; set; }

    [Parameter]
    public double LearningRate { get; set; }

    [Parameter]
    public RetrainOptimizer Optimizer { get; set; }

    [Parameter]
    public double Momentum { get; set; }

    [Parameter]
    [ValidateRange(1, 1 << 20)]
    public int BatchSize { get; set; }

    /// <summary>Constant (default), Step or Cosine.</summary>
    [Parameter]
    public LearningRateShape LearningRateSchedule { get; set; }

    /// <summary>Epochs (fractions allowed) of linear warm-up from 0 to -LearningRate.</summary>
    [Parameter]
    public double WarmupEpochs { get; set; }

    /// <summary>Cosine: the rate it anneals down to (default 0).</summary>
    [Parameter]
    public double MinLearningRate { get; set; }

    /// <summary>Cosine: the number of equal cycles, each restarting at -LearningRate (warm restarts; default 1).</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int LearningRateCycles { get; set; }

    /// <summary>Step: epochs between decays (default a third of the epochs).</summary>
    [Parameter]
    public double LearningRateStepEpochs { get; set; }

    /// <summary>Step: the factor applied at each decay (default 0.1).</summary>
    [Parameter]
    public double LearningRateDecay { get; set; }

    /// <summary>
    /// Extra inputs the teacher labels, made from each batch (one batch per kind listed): None, Mixup, Shift, Noise,
    /// Affine, Elastic or CutMix (default: the loss preset's; LabelPreserving trains on Mixup, Affine, Elastic and CutMix).
    /// </summary>
    [Parameter]
    public TeacherInputKind[]? TeacherInputs { get; set; }

    /// <summary>The weight of the loss on the teacher inputs relative to the batch's (default 1).</summary>
    [Parameter]
    public double TeacherInputWeight { get; set; }

    /// <summary>Noise teacher inputs: the noise's standard deviation in normalised input units (default 0.5).</summary>
    [Parameter]
    public double TeacherInputNoise { get; set; }

    /// <summary>Samples where the student's label differs from the reference's weigh 1 + this (default 0).</summary>
    [Parameter]
    public double DisagreementWeight { get; set; }

    /// <summary>
    /// Intermediate-feature matching: the weight of the mean relative squared error between each convolution and
    /// linear layer's output and the reference's on the same inputs (default 0: off). Built-in architectures only.
    /// </summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double FeatureWeight { get; set; }

    /// <summary>
    /// The scale of the reference's terms (distillation, teacher-label, ...) on training samples the reference gets
    /// wrong (default 1: as on the others; 0: there the student follows the labels only).
    /// </summary>
    [Parameter]
    [ValidateRange(0.0, 1e6)]
    public double WrongReferenceWeight { get; set; }

    /// <summary>Seeds the batch order, augmentation and dropout (default: the training data set's seed, Import-Dataset -Seed).</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>L-C: initial mu of the augmented Lagrangian.</summary>
    [Parameter]
    public double LcMu { get; set; }

    /// <summary>L-C: mu is multiplied by this after every epoch.</summary>
    [Parameter]
    public double LcMuGrowth { get; set; }

    /// <summary>L-C: mu stops growing once it exceeds this (default 10,000, Condensa's mu_cap).</summary>
    [Parameter]
    public double LcMuCap { get; set; }

    /// <summary>L-C: where w starts, Reference (the dense reference, as Condensa; default) or Compressed.</summary>
    [Parameter]
    public LcStart LcStart { get; set; }

    /// <summary>L-C: the factor the learning rate decays by over each L-step (default 0.01, Condensa's 0.01 to 1e-4).</summary>
    [Parameter]
    public double LcLearningRateDecay { get; set; }
    /// <summary>Fine-tuning: how float16, bfloat16 and int8 weights are rounded again after each step, Nearest (default) or Stochastic.</summary>
    [Parameter]
    public Engine.Quantization.Rounding Rounding { get; set; }

    /// <summary>Fine-tuning: round the updated weights themselves instead of training full-precision master copies (where Stochastic rounding matters).</summary>
    [Parameter]
    public SwitchParameter NoMasterWeights { get; set; }

    /// <summary>
    /// Long-tail weighting: a memorisation result of the training data (Measure-Memorization, or its file), or one score
    /// per training sample; each sample then weighs 1 + -LongTailWeight x max(0, its score) in every loss term.
    /// </summary>
    [Parameter]
    [ExampleScoresTransformation]
    public ExampleScores? ExampleScores { get; set; }

    /// <summary>Which score of the memorisation result weights the samples (default: memorization).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ScoreNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? ExampleScoreName { get; set; }

    /// <summary>Long-tail weighting: a sample weighs 1 + this x max(0, its score) (default 2; below 0, down to -1 exclusive, the long tail weighs less).</summary>
    [Parameter]
    public double LongTailWeight { get; set; }

    /// <summary>Gradual: the epochs over which the sparsity ramps from the dense reference to the model's (default half the epochs).</summary>
    [Parameter]
    public double GradualEpochs { get; set; }

    /// <summary>Gradual: the number of prune points spread evenly over the ramp (default 10).</summary>
    [Parameter]
    [ValidateRange(1, 1000000)]
    public int GradualSteps { get; set; }

    /// <summary>Which weights gradual pruning removes: Magnitude (the smallest), Fisher (w^2 times the running mean of the squared gradient; the LabelPreserving preset's) or Obs (Optimal Brain Surgeon from a block-diagonal Fisher, the kept weights moved to make up).</summary>
    [Parameter]
    public GradualScore GradualScore { get; set; }

    protected override string StepName => "retrain";

    protected override StepSettings BuildSettings()
    {
        // Only what the user bound goes into the step: the defaults live in RetrainOptions, as they do for a YAML step.
        var s = new StepSettings("retrain");
        var bound = MyInvocation.BoundParameters;
        if (Loss is { Length: > 0 }) s.Set(RetrainOptions.Key.Loss, string.Join(",", Loss.SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(StepSettings.ToKebab)));
        if (LossWeights is { Length: > 0 }) s.Set(RetrainOptions.Key.LossWeights, LossWeights);
        if (bound.ContainsKey(nameof(SoftAdapt))) s.Set(RetrainOptions.Key.SoftAdapt, SoftAdapt);
        if (bound.ContainsKey(nameof(SoftAdaptBeta))) s.Set(RetrainOptions.Key.SoftAdaptBeta, SoftAdaptBeta);
        if (bound.ContainsKey(nameof(SoftAdaptWindow))) s.Set(RetrainOptions.Key.SoftAdaptWindow, SoftAdaptWindow);
        if (bound.ContainsKey(nameof(Temperature))) s.Set(RetrainOptions.Key.Temperature, Temperature);
        if (bound.ContainsKey(nameof(FocalTemperature))) s.Set(RetrainOptions.Key.FocalTemperature, FocalTemperature);
        if (bound.ContainsKey(nameof(FocalAlpha))) s.Set(RetrainOptions.Key.FocalAlpha, FocalAlpha);
        if (bound.ContainsKey(nameof(FocalBeta))) s.Set(RetrainOptions.Key.FocalBeta, FocalBeta);
        if (bound.ContainsKey(nameof(LogitDifferenceMargin))) s.Set(RetrainOptions.Key.LogitDifferenceMargin, LogitDifferenceMargin);
        if (bound.ContainsKey(nameof(LogitDifferencePower))) s.Set(RetrainOptions.Key.LogitDifferencePower, LogitDifferencePower);
        if (bound.ContainsKey(nameof(Method))) s.Set(RetrainOptions.Key.Method, Method);
        if (bound.ContainsKey(nameof(Epochs))) s.Set(RetrainOptions.Key.Epochs, Epochs);
        if (bound.ContainsKey(nameof(LearningRate))) s.Set(RetrainOptions.Key.LearningRate, LearningRate);
        if (bound.ContainsKey(nameof(Optimizer))) s.Set(RetrainOptions.Key.Optimizer, Optimizer);
        if (bound.ContainsKey(nameof(Momentum))) s.Set(RetrainOptions.Key.Momentum, Momentum);
        if (bound.ContainsKey(nameof(BatchSize))) s.Set(RetrainOptions.Key.BatchSize, BatchSize);
        if (bound.ContainsKey(nameof(Seed))) s.Set(RetrainOptions.Key.Seed, Seed);
        if (bound.ContainsKey(nameof(LearningRateSchedule))) s.Set(RetrainOptions.Key.LearningRateSchedule, LearningRateSchedule);
        if (bound.ContainsKey(nameof(WarmupEpochs))) s.Set(RetrainOptions.Key.WarmupEpochs, WarmupEpochs);
        if (bound.ContainsKey(nameof(MinLearningRate))) s.Set(RetrainOptions.Key.MinLearningRate, MinLearningRate);
        if (bound.ContainsKey(nameof(LearningRateCycles))) s.Set(RetrainOptions.Key.Cycles, LearningRateCycles);
        if (bound.ContainsKey(nameof(LearningRateStepEpochs))) s.Set(RetrainOptions.Key.StepEpochs, LearningRateStepEpochs);
        if (bound.ContainsKey(nameof(LearningRateDecay))) s.Set(RetrainOptions.Key.Decay, LearningRateDecay);
        if (TeacherInputs is { Length: > 0 }) s.Set(RetrainOptions.Key.TeacherInputs, TeacherInputs);
        if (bound.ContainsKey(nameof(TeacherInputWeight))) s.Set(RetrainOptions.Key.TeacherInputWeight, TeacherInputWeight);
        if (bound.ContainsKey(nameof(TeacherInputNoise))) s.Set(RetrainOptions.Key.TeacherInputNoise, TeacherInputNoise);
        if (bound.ContainsKey(nameof(DisagreementWeight))) s.Set(RetrainOptions.Key.DisagreementWeight, DisagreementWeight);
        if (bound.ContainsKey(nameof(FeatureWeight))) s.Set(RetrainOptions.Key.FeatureWeight, FeatureWeight);
        if (bound.ContainsKey(nameof(WrongReferenceWeight))) s.Set(RetrainOptions.Key.WrongReferenceWeight, WrongReferenceWeight);
        if (bound.ContainsKey(nameof(LcMu))) s.Set(RetrainOptions.Key.LcMu, LcMu);
        if (bound.ContainsKey(nameof(LcMuGrowth))) s.Set(RetrainOptions.Key.LcMuGrowth, LcMuGrowth);
        if (bound.ContainsKey(nameof(LcMuCap))) s.Set(RetrainOptions.Key.LcMuCap, LcMuCap);
        if (bound.ContainsKey(nameof(LcStart))) s.Set(RetrainOptions.Key.LcStart, LcStart);
        if (bound.ContainsKey(nameof(LcLearningRateDecay))) s.Set(RetrainOptions.Key.LcLearningRateDecay, LcLearningRateDecay);
        if (bound.ContainsKey(nameof(GradualEpochs))) s.Set(RetrainOptions.Key.GradualEpochs, GradualEpochs);
        if (bound.ContainsKey(nameof(GradualSteps))) s.Set(RetrainOptions.Key.GradualSteps, GradualSteps);
        if (bound.ContainsKey(nameof(GradualScore))) s.Set(RetrainOptions.Key.GradualScore, GradualScore);
        if (bound.ContainsKey(nameof(Rounding))) s.Set(RetrainOptions.Key.Rounding, Rounding);
        if (NoMasterWeights) s.Set(RetrainOptions.Key.MasterWeights, false);
        if (ExampleScores is not null)
            s.Set(RetrainOptions.Key.ExampleScores, ExampleScores.Result is { } result
                ? result.Path ?? throw new EngineException("ExampleScoresNotSaved", EngineErrorKind.InvalidArgument,
                    "This memorisation result has no file; pass the memorization.json that Measure-Memorization wrote.", result)
                : ExampleScores.Values!.ToList());
        if (ExampleScoreName is not null) s.Set(RetrainOptions.Key.ExampleScoreName, ExampleScoreName);
        if (bound.ContainsKey(nameof(LongTailWeight))) s.Set(RetrainOptions.Key.LongTailWeight, LongTailWeight);
        return s;
    }

    protected override void ProcessRecord() =>
        RunStep(InputObject, new OperationInputs { TrainingData = Data, ValidationData = ValidationData, Reference = Reference, TeacherData = TeacherData });
}
