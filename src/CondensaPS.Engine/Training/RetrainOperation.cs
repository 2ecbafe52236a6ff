using System.Diagnostics;
using System.Globalization;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// The "retrain" step: recovers a compressed model (the student) with a loss of selectable terms against its
/// reference (the teacher, eval mode, no gradients) and the labels. Fine-tuning keeps the masks (pruned weights stay
/// zero after every optimizer step) and the quantization (parameters rounded again after every step, trained through
/// full-precision masters); L-C runs Condensa's augmented Lagrangian and returns the compressed theta. With
/// validation data the epoch with the best agreement with the reference (or the best accuracy without one) is kept.
/// Per-epoch loss, term values, term weights, accuracy and agreement go into the history step. A model without a
/// reference can be trained with cross-entropy alone (training a reference). Cancelling stops at a batch boundary,
/// disposes the half-trained copy and leaves the input untouched.
/// </summary>
public sealed class RetrainOperation : ICompressionOperation
{
    public string StepName => "retrain";

    public IReadOnlyCollection<string> SettingKeys => RetrainOptions.Keys;

    public void Validate(StepSettings settings) => RetrainOptions.From(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var options = RetrainOptions.From(settings);
        var train = inputs.TrainingData as Dataset ?? throw new EngineException("TrainingDataRequired", EngineErrorKind.InvalidArgument,
            inputs.TrainingData is null ? "The retrain step needs training data (a data set from Import-Dataset)." : $"Training data must be a data set, not {inputs.TrainingData.GetType().Name}.", inputs.TrainingData);
        Dataset? validation = null;
        if (inputs.ValidationData != null)
            validation = inputs.ValidationData as Dataset ?? throw new EngineException("ValidationDataNotADataset", EngineErrorKind.InvalidArgument,
                $"Validation data must be a data set, not {inputs.ValidationData.GetType().Name}.", inputs.ValidationData);
        var teacher = inputs.Reference ?? input.Reference;
        if (options.NeedsTeacher && teacher is null)
            throw new EngineException("ReferenceRequired", EngineErrorKind.InvalidArgument,
                $"Loss terms {string.Join(", ", options.Terms.Where(t => t != "cross-entropy"))} need a reference model, and model '{input.Name}' has none: pass -Reference, or use -Loss CrossEntropy.", input.Name);
        if (input.IsTraced)
            throw new EngineException("TracedModelNotTrainable", EngineErrorKind.NotSupported,
                $"Model '{input.Name}' was made by torch.jit.trace, which freezes batch norm in the mode it was traced in; retrain a scripted (torch.jit.script) export instead.", input.Name);
        if (options.RetrainMethod == RetrainMethod.Lc && input.Masks.Count == 0 && input.Quantization.Count == 0)
            throw new EngineException("NothingToConstrain", EngineErrorKind.InvalidArgument,
                $"Method lc needs a compressed model (masks or quantization); model '{input.Name}' has neither.", input.Name);
        DatasetModelCheck.Require(train, input);
        if (validation != null) DatasetModelCheck.Require(validation, input);
        if (teacher != null) DatasetModelCheck.Require(train, teacher);

        var student = input.Clone();
        try
        {
            student.Reference = teacher;
            var results = new Trainer(student, teacher, train, validation, options, context).Run();
            student.Module.eval();
            return new OperationResult(student, results);
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }

    private sealed class Trainer
    {
        private readonly CompressionModel _student;
        private readonly CompressionModel? _teacher;
        private readonly Dataset _train;
        private readonly Dataset? _validation;
        private readonly RetrainOptions _o;
        private readonly OperationContext _ctx;
        private readonly IReadOnlyList<ILossTerm> _terms;

        public Trainer(CompressionModel student, CompressionModel? teacher, Dataset train, Dataset? validation, RetrainOptions options, OperationContext ctx)
        {
            _student = student;
            _teacher = options.NeedsTeacher || validation != null ? teacher : null;
            _train = train;
            _validation = validation;
            _o = options;
            _ctx = ctx;
            _terms = options.Terms.Select(t => LossTerms.Create(t, options.TemperatureValue, options.MarginValue)).ToList();
        }

        public IReadOnlyDictionary<string, object?> Run()
        {
            int seed = _o.SeedValue ?? _train.Seed;
            random.manual_seed(seed);
            var data = _train.WithTransforms(_train.Mean, _train.Std, _train.Augment, seed: seed);
            var parameters = _student.Module.parameters().ToList();
            using var optimizer = _o.OptimizerKind == RetrainOptimizer.Adam
                ? (optim.Optimizer)optim.Adam(parameters, _o.Rate)
                : optim.SGD(parameters, _o.Rate, _o.MomentumValue);
            Gradients.Clear(parameters);
            using var masters = _o.RetrainMethod == RetrainMethod.FineTune ? new QuantizedMasters(_student) : null;
            using var lc = _o.RetrainMethod == RetrainMethod.Lc ? new LcState(_student, _o.Mu, _o.MuGrowth) : null;
            var adapt = new SoftAdapt(_o.SoftAdapt, _o.Beta, _o.Window, _o.Weights);
            bool teacherWasTraining = _teacher?.Module.training ?? false;
            _teacher?.Module.eval();
            long[]? teacherValidation = _teacher != null && _validation != null ? Predictor.Predict(_teacher, _validation, _ctx) : null;

            // Convolutions whose backward libtorch's oneDNN gets wrong, or crashes on, run it without oneDNN (ConvolutionGradientGuard).
            var guardReason = ConvolutionGradientGuard.Why(_student, _train.Channels);
            bool guardBackward = guardReason != null;
            if (guardBackward) _ctx.Log(guardReason!);
            var epochs = new List<object?>();
            Dictionary<string, Tensor>? best = null;
            double bestScore = double.NegativeInfinity;
            int bestEpoch = 0;
            int batches = (data.Count + _o.Batch - 1) / _o.Batch;
            var total = Stopwatch.StartNew();
            var sinceReport = Stopwatch.StartNew();
            try
            {
                for (int epoch = 1; epoch <= _o.EpochCount; epoch++)
                {
                    _student.Module.train();
                    var order = data.Order(epoch, shuffle: true);
                    var augment = new Random(unchecked(seed * 31 + epoch));
                    double lossSum = 0;
                    // Running sums stay in torch (updated in place) so a batch synchronises only once, for the loss.
                    using var termTotals = zeros(_terms.Count, dtype: ScalarType.Float64);
                    using var correctTotal = zeros(1, dtype: ScalarType.Int64);
                    bool adaptive = _o.SoftAdapt != SoftAdaptVariant.None;
                    var weightSums = new double[_terms.Count];
                    long seen = 0;
                    var epochWatch = Stopwatch.StartNew();
                    for (int b = 0; b < batches; b++)
                    {
                        _ctx.ThrowIfCancelled();
                        using var scope = NewDisposeScope();
                        var (x, y) = data.Batch(order, b * _o.Batch, _o.Batch, augment, null);
                        Tensor? zt = null;
                        if (_o.NeedsTeacher)
                            using (no_grad()) zt = _teacher!.Forward(x);
                        var zs = _student.Forward(x);
                        var weights = adapt.Current;
                        var termValues = new Tensor[_terms.Count];
                        Tensor? loss = null;
                        for (int k = 0; k < _terms.Count; k++)
                        {
                            var v = _terms[k].Compute(zs, zt, y);
                            termValues[k] = v.detach();
                            var weighted = v * weights[k];
                            loss = loss is null ? weighted : loss + weighted;
                        }
                        var stacked = stack(termValues).to(ScalarType.Float64);
                        if (lc != null) loss = loss! + lc.Penalty();
                        double lossValue = loss!.item<float>();
                        if (!double.IsFinite(lossValue))
                            throw new EngineException("LossNotFinite", EngineErrorKind.InvalidOperation,
                                $"The loss became {lossValue.ToString(CultureInfo.InvariantCulture)} in epoch {epoch}, batch {b + 1} (learning rate {_o.Rate.ToString(CultureInfo.InvariantCulture)}); lower the learning rate.",
                                new { Epoch = epoch, Batch = b + 1 });
                        ConvolutionGradientGuard.Run(guardBackward, loss.backward);
                        optimizer.step();
                        Gradients.Clear(parameters);
                        if (lc is null)
                        {
                            _student.ApplyMasks();
                            masters?.AfterStep();
                        }
                        for (int k = 0; k < _terms.Count; k++) weightSums[k] += weights[k];
                        termTotals.add_(stacked);
                        if (adaptive) adapt.Update(stacked.data<double>().ToArray());
                        lossSum += lossValue;
                        using (no_grad()) correctTotal.add_(zs.argmax(1).eq(y).sum());
                        seen += y.shape[0];
                        if (sinceReport.ElapsedMilliseconds >= 250 || b == batches - 1)
                        {
                            sinceReport.Restart();
                            double rate = seen / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds);
                            int percent = (int)(100.0 * ((epoch - 1) * batches + b + 1) / ((long)_o.EpochCount * batches));
                            _ctx.Report(new OperationProgress("Retrain",
                                string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{_o.EpochCount}, batch {b + 1}/{batches}, loss {lossSum / (b + 1):0.0000}, {rate:N0} images/s"), percent));
                        }
                    }
                    List<Tensor>? savedW = null;
                    if (lc != null)
                    {
                        lc.CStep();
                        savedW = lc.SaveW();
                        lc.LoadTheta();
                    }
                    var record = new OrderedSettings();
                    record.Add("epoch", (long)epoch);
                    record.Add("loss", lossSum / batches);
                    var termRecord = new OrderedSettings();
                    var weightRecord = new OrderedSettings();
                    var termSums = termTotals.data<double>().ToArray();
                    long correct = correctTotal.item<long>();
                    for (int k = 0; k < _terms.Count; k++) { termRecord.Add(_terms[k].Name, termSums[k] / batches); weightRecord.Add(_terms[k].Name, weightSums[k] / batches); }
                    record.Add("terms", termRecord);
                    record.Add("weights", weightRecord);
                    record.Add("train-accuracy", (double)correct / Math.Max(1, seen));
                    record.Add("images-per-second", seen / Math.Max(1e-9, epochWatch.Elapsed.TotalSeconds));
                    double score = epoch;
                    if (_validation != null)
                    {
                        var predicted = Predictor.Predict(_student, _validation, _ctx);
                        double accuracy = predicted.Where((p, i) => p == _validation.Label(i)).Count() / (double)predicted.Length;
                        record.Add("accuracy", accuracy);
                        score = accuracy;
                        if (teacherValidation != null)
                        {
                            double agreement = predicted.Where((p, i) => p == teacherValidation[i]).Count() / (double)predicted.Length;
                            record.Add("agreement", agreement);
                            score = agreement + accuracy * 1e-6;
                        }
                    }
                    epochs.Add(record);
                    var line = FormattableString.Invariant($"Epoch {epoch}: loss {lossSum / batches:0.0000}");
                    if (record.TryGetValue("accuracy", out var a)) line += FormattableString.Invariant($", validation accuracy {(double)a!:P2}");
                    if (record.TryGetValue("agreement", out var g)) line += FormattableString.Invariant($", agreement {(double)g!:P2}");
                    _ctx.Log(line);
                    if (_validation != null && score > bestScore)
                    {
                        bestScore = score;
                        bestEpoch = epoch;
                        DisposeAll(best);
                        best = Snapshot();
                    }
                    if (savedW != null && epoch < _o.EpochCount) lc!.RestoreW(savedW);
                    else savedW?.ForEach(t => t.Dispose());
                }
                if (best != null && bestEpoch != _o.EpochCount)
                {
                    Restore(best);
                    _ctx.Log($"Kept epoch {bestEpoch} (best validation {(teacherValidation != null ? "agreement with the reference" : "accuracy")}).");
                }
            }
            finally
            {
                DisposeAll(best);
                if (teacherWasTraining) _teacher?.Module.train();
                _ctx.Report(new OperationProgress("Retrain", "done", 100, Completed: true));
            }
            var results = new OrderedSettings();
            results.Add("terms", _terms.Select(t => (object?)t.Name).ToList());
            results.Add("reference", _teacher?.Name);
            results.Add("best-epoch", (long)(bestEpoch == 0 ? _o.EpochCount : bestEpoch));
            results.Add("seconds", total.Elapsed.TotalSeconds);
            results.Add("epochs", epochs);
            return results;
        }

        private Dictionary<string, Tensor> Snapshot()
        {
            using var _ = no_grad();
            var state = new Dictionary<string, Tensor>();
            foreach (var (n, t) in _student.NamedParameters()) state["p:" + n] = t.detach().clone();
            foreach (var (n, t) in _student.NamedBuffers()) state["b:" + n] = t.detach().clone();
            foreach (var (n, t) in _student.Masks) state["m:" + n] = t.detach().clone();
            return state;
        }

        private void Restore(Dictionary<string, Tensor> state)
        {
            using var _ = no_grad();
            foreach (var (n, t) in _student.NamedParameters()) t.copy_(state["p:" + n]);
            foreach (var (n, t) in _student.NamedBuffers()) t.copy_(state["b:" + n]);
            foreach (var (n, t) in _student.Masks) t.copy_(state["m:" + n]);
            Quantization.QuantizationReapplier.ReapplyAll(_student);
        }

        private static void DisposeAll(Dictionary<string, Tensor>? state)
        {
            if (state is null) return;
            foreach (var t in state.Values) t.Dispose();
            state.Clear();
        }
    }
}
