using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Native;
using CondensaPS.Engine.Quantization;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// Runs the retrain step's epochs on a student (a clone the step owns): batches through <see cref="BatchStep"/>,
/// L-C's C-step after each epoch, one <see cref="EpochRecord"/> per epoch, the best epoch by validation kept by
/// <see cref="BestEpochKeeper"/>, progress every quarter second and cancellation at batch boundaries.
/// </summary>
internal sealed class RetrainTrainer
{
    private readonly CompressionModel _student;
    private readonly CompressionModel? _teacher;
    private readonly Dataset _train;
    private readonly Dataset? _validation;
    private readonly RetrainOptions _o;
    private readonly OperationContext _ctx;
    private readonly IReadOnlyList<ILossTerm> _terms;
    private readonly float[]? _sampleWeights;
    private readonly Dataset? _teacherData;

    /// <summary>
    /// <paramref name="sampleWeights"/>: one weight per training sample (long-tail weighting), or null for a plain mean;
    /// <paramref name="teacherData"/>: unlabelled inputs of the training data's shape, one batch of them per step
    /// learnt through the label-free terms, or null.
    /// </summary>
    public RetrainTrainer(CompressionModel student, CompressionModel? teacher, Dataset train, Dataset? validation, RetrainOptions options, OperationContext ctx,
        float[]? sampleWeights = null, Dataset? teacherData = null)
    {
        if (sampleWeights is not null && sampleWeights.Length != train.Count)
            throw new ArgumentException($"{sampleWeights.Length} sample weights for {train.Count} training samples.", nameof(sampleWeights));
        _sampleWeights = sampleWeights;
        // Teacher data is read with the training data's normalisation and never augmented.
        _teacherData = teacherData?.WithTransforms(train.Mean, train.Std, augment: false);
        _student = student;
        _teacher = options.NeedsTeacher || validation != null ? teacher : null;
        _train = train;
        _validation = validation;
        _o = options;
        _ctx = ctx;
        _terms = options.Terms.Select(t => LossTerms.Create(t, options)).ToList();
    }

    /// <summary>Trains and returns the history step's results (terms, reference, seed used, best epoch, seconds, epoch records).</summary>
    public IReadOnlyDictionary<string, object?> Run()
    {
        int seed = _o.Seed ?? _train.Seed;
        random.manual_seed(seed);
        var data = _train.WithTransforms(_train.Mean, _train.Std, _train.Augment, seed: seed);
        var parameters = _student.Module.parameters().ToList();
        var optimizer = NewOptimizer(parameters);
        Gradients.Clear(parameters);
        using var constraints = StepConstraints.For(_student, _o, seed);
        using var lc = _o.Method == RetrainMethod.Lc ? new LcState(_student, _o.LcMu, _o.LcMuGrowth, _o.LcMuCap) : null;
        if (lc != null && _o.LcStart == LcStart.Reference) StartFromReference("L-C: w");
        GradualPruning? gradual = null;
        if (_o.Method == RetrainMethod.Gradual)
        {
            StartFromReference("Gradual pruning");
            gradual = new GradualPruning(_student, _o.GradualEpochs, _o.GradualSteps, _o.GradualScore);
        }
        using var gradualScores = gradual;
        var loss = new RetrainLoss(_terms, new SoftAdapt(_o.SoftAdapt, _o.SoftAdaptBeta, _o.SoftAdaptWindow, _o.Weights));
        bool teacherWasTraining = _teacher?.Module.training ?? false;
        _teacher?.Module.eval();
        long[]? teacherValidation = _teacher != null && _validation != null ? Predictor.Predict(_teacher, _validation, _ctx) : null;

        var guardReason = ConvolutionGradientGuard.Why(_student, _train.Channels);
        if (guardReason != null) _ctx.Log(guardReason);
        using var features = _o.FeatureWeight > 0 ? FeatureMatching.Between(_student, _teacher!, _ctx.Log) : null;
        if (features != null) _ctx.Log($"Feature matching on layers {string.Join(", ", features.Layers)} (weight {_o.FeatureWeight.ToString(CultureInfo.InvariantCulture)}).");
        var step = new BatchStep(_student, _teacher, loss, optimizer, parameters, constraints, lc, guardBackward: guardReason != null,
            _o.DisagreementWeight, _o.TeacherInputWeight, features, _o.FeatureWeight, _o.WrongReferenceWeight);
        if (gradual != null) step.OnGradients = gradual.ObserveGradients;
        if (_teacherData != null) _ctx.Log(string.Create(CultureInfo.InvariantCulture, $"Teacher data: '{_teacherData.Name}', {_teacherData.Count:N0} inputs; each batch adds one batch of them, labelled by the reference."));
        using var teacherInputs = new TeacherInputs(_o.TeacherInputs, data, seed, _o.TeacherInputNoise, _teacherData);
        var schedule = _o.Schedule;
        var epochs = new List<object?>();
        using var keeper = new BestEpochKeeper(_student);
        int batches = (data.Count + _o.BatchSize - 1) / _o.BatchSize;
        var total = Stopwatch.StartNew();
        var sinceReport = Stopwatch.StartNew();
        try
        {
            for (int epoch = 1; epoch <= _o.Epochs; epoch++)
            {
                if (lc != null && epoch > 1)
                {
                    // Each L-step starts with a fresh optimizer state (Condensa resets the momentum).
                    optimizer.Dispose();
                    optimizer = NewOptimizer(parameters);
                    step.Optimizer = optimizer;
                }
                _student.Module.train();
                var order = data.Order(epoch, shuffle: true);
                var augment = new Random(unchecked(seed * 31 + epoch));
                using var totals = new EpochTotals(_terms);
                double rate = _o.LearningRate;
                for (int b = 0; b < batches; b++)
                {
                    _ctx.ThrowIfCancelled();
                    // No collection during the batch: it could finalize an implicit TorchSharp Scalar libtorch is reading (CollectionPause).
                    using var pause = CollectionPause.Begin();
                    using var scope = NewDisposeScope();
                    var (x, y) = data.Batch(order, b * _o.BatchSize, _o.BatchSize, augment, null);
                    if (gradual != null && gradual.Advance(epoch, b, batches))
                        _ctx.Log(string.Create(CultureInfo.InvariantCulture, $"Gradual pruning: point {gradual.Done}/{gradual.Steps} in epoch {epoch}, {GradualPruning.Fraction(gradual.Done, gradual.Steps):P1} of the final zeros pruned."));
                    rate = schedule.IsConstant ? _o.LearningRate : schedule.At(epoch, b, batches);
                    // L-C decays the rate within each L-step, from the schedule's rate to that times lc-lr-decay.
                    if (lc != null) rate *= Math.Pow(_o.LcLearningRateDecay, (double)b / batches);
                    if (!schedule.IsConstant || lc != null) foreach (var group in optimizer.ParamGroups) group.LearningRate = rate;
                    var extra = teacherInputs.Any ? teacherInputs.Make(x, order, b * _o.BatchSize, (int)x.shape[0], augment) : null;
                    var weights = _sampleWeights is null ? null : BatchWeights(order, b * _o.BatchSize, (int)x.shape[0]);
                    var outcome = step.Run(x, y, extra, weights, epoch, b + 1, rate);
                    totals.Add(outcome.Loss, outcome.Value, outcome.StudentLogits, y);
                    loss.Observe(outcome.Value.TermValues);
                    if (sinceReport.ElapsedMilliseconds >= 250 || b == batches - 1)
                    {
                        sinceReport.Restart();
                        ReportProgress(epoch, b, batches, totals);
                    }
                }
                // Batch norm updated its statistics in every training forward; quantized ones go back on their grid.
                QuantizationReapplier.ReapplyBuffers(_student);
                List<Tensor>? savedW = null;
                if (lc != null)
                {
                    // Evaluate (and possibly keep) the compressed theta; training goes on from w.
                    lc.CStep();
                    savedW = lc.SaveW();
                    lc.LoadTheta();
                }
                var record = Validate(totals.ToRecord(epoch) with { LearningRate = rate }, teacherValidation);
                epochs.Add(record.ToSettings());
                _ctx.Log(record.Describe());
                // Gradual pruning keeps only epochs that end at the final sparsity.
                if (_validation != null && (gradual == null || gradual.Finished)) keeper.Offer(epoch, record.Score);
                if (savedW != null && epoch < _o.Epochs) lc!.RestoreW(savedW);
                else savedW?.ForEach(t => t.Dispose());
            }
            if (keeper.RestoreUnlessLast(_o.Epochs))
                _ctx.Log($"Kept epoch {keeper.BestEpoch} (best validation {(teacherValidation != null ? "agreement with the reference" : "accuracy")}).");
        }
        finally
        {
            optimizer.Dispose();
            if (teacherWasTraining) _teacher?.Module.train();
            _ctx.Report(new OperationProgress("Retrain", "done", 100, Completed: true));
        }
        var results = new OrderedSettings();
        results.Add("terms", _terms.Select(t => (object?)t.Name).ToList());
        // The method that ran (auto resolves to gradual or fine-tune).
        results.Add("method", StepSettings.ToKebab(_o.Method.ToString()));
        results.Add("reference", _teacher?.Name);
        results.Add("seed", (long)seed);
        results.Add("best-epoch", (long)(keeper.BestEpoch == 0 ? _o.Epochs : keeper.BestEpoch));
        if (_sampleWeights is not null)
        {
            results.Add("long-tail-weighted", (long)_sampleWeights.Count(w => w != 1));
            results.Add("long-tail-mean-weight", _sampleWeights.Average(w => (double)w));
        }
        if (_teacherData != null)
        {
            results.Add("teacher-data", _teacherData.Name);
            results.Add("teacher-data-count", (long)_teacherData.Count);
        }
        results.Add("seconds", total.Elapsed.TotalSeconds);
        results.Add("epochs", epochs);
        return results;
    }

    /// <summary>The long-tail weights of the batch's samples (order[start..start+count)), in the caller's dispose scope.</summary>
    private Tensor BatchWeights(int[] order, int start, int count)
    {
        var weights = new float[count];
        for (int i = 0; i < count; i++) weights[i] = _sampleWeights![order[start + i]];
        return tensor(weights, new long[] { count });
    }

    private optim.Optimizer NewOptimizer(IList<TorchSharp.Modules.Parameter> parameters) => _o.Optimizer == RetrainOptimizer.Adam
        ? optim.Adam(parameters, _o.LearningRate)
        : optim.SGD(parameters, _o.LearningRate, _o.Momentum);

    /// <summary>
    /// L-C's w and gradual pruning start from the dense reference (L-C's theta, the compressed weights, is already
    /// taken): its parameters and buffers are copied into the student when every name and shape matches; otherwise
    /// training starts from the compressed model. <paramref name="what"/> names what starts, for the verbose stream.
    /// </summary>
    private void StartFromReference(string what)
    {
        var reference = _teacher ?? _student.Reference;
        if (reference is null) { _ctx.Log($"{what} starts from the compressed model: there is no reference."); return; }
        if (!GradualPruning.SameParameters(_student, reference))
        {
            _ctx.Log($"Reference '{reference.Name}' does not match the compressed model's parameters, so training starts from the compressed model instead ({what}).");
            return;
        }
        var from = reference.NamedParameters().Concat(reference.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor);
        using var _ = no_grad();
        foreach (var (name, tensor) in _student.NamedParameters().Concat(_student.NamedBuffers())) tensor.copy_(from[name]);
        _ctx.Log($"{what} starts from the dense reference '{reference.Name}'.");
    }

    /// <summary>Adds the validation accuracy and, with a reference, the agreement with it.</summary>
    private EpochRecord Validate(EpochRecord record, long[]? teacherValidation)
    {
        if (_validation is null) return record;
        var predicted = Predictor.Predict(_student, _validation, _ctx);
        double accuracy = predicted.Where((p, i) => p == _validation.Label(i)).Count() / (double)predicted.Length;
        double? agreement = teacherValidation is null ? null : predicted.Where((p, i) => p == teacherValidation[i]).Count() / (double)predicted.Length;
        return record with { Accuracy = accuracy, Agreement = agreement };
    }

    private void ReportProgress(int epoch, int batch, int batches, EpochTotals totals)
    {
        int percent = (int)(100.0 * ((epoch - 1) * batches + batch + 1) / ((long)_o.Epochs * batches));
        _ctx.Report(new OperationProgress("Retrain",
            string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{_o.Epochs}, batch {batch + 1}/{batches}, loss {totals.MeanLoss:0.0000}, {totals.ImagesPerSecond:N0} images/s"), percent));
    }
}
