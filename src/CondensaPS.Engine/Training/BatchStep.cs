using CondensaPS.Engine.Native;
using System.Globalization;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Training.Losses;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Training;

/// <summary>
/// One training batch: the teacher's logits (no gradients) when the loss needs them, the student's, the loss (plus
/// L-C's penalty), the backward pass, the optimizer step with the constraints around it, and the gradients dropped.
/// Everything it makes lives in the caller's dispose scope.
/// </summary>
internal sealed class BatchStep
{
    private readonly CompressionModel _student;
    private readonly CompressionModel? _teacher;
    private readonly RetrainLoss _loss;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly StepConstraints _constraints;
    private readonly LcState? _lc;
    private readonly bool _guardBackward;
    private readonly double _disagreementWeight;
    private readonly double _teacherInputWeight;
    private readonly FeatureMatching? _features;
    private readonly double _featureWeight;
    private readonly double _wrongReferenceWeight;

    /// <summary>Runs after the backward pass, before the constraints and the optimizer step (gradual pruning's Fisher score reads the gradients there).</summary>
    public Action? OnGradients { get; set; }

    /// <summary>The optimizer the step uses (L-C swaps in a fresh one for each L-step).</summary>
    public optim.Optimizer Optimizer { get; set; }

    public BatchStep(CompressionModel student, CompressionModel? teacher, RetrainLoss loss, optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters,
        StepConstraints constraints, LcState? lc, bool guardBackward, double disagreementWeight = 0, double teacherInputWeight = 1,
        FeatureMatching? features = null, double featureWeight = 0, double wrongReferenceWeight = 1)
    {
        _student = student;
        _teacher = teacher;
        _loss = loss;
        Optimizer = optimizer;
        _parameters = parameters;
        _constraints = constraints;
        _lc = lc;
        _guardBackward = guardBackward;
        _disagreementWeight = disagreementWeight;
        _teacherInputWeight = teacherInputWeight;
        _features = features;
        _featureWeight = featureWeight;
        _wrongReferenceWeight = wrongReferenceWeight;
    }

    /// <summary>
    /// Trains on one batch and returns what it measured. <paramref name="teacherInputs"/> (or null) are extra inputs
    /// the loss's label-free terms are computed on as well; <paramref name="sampleWeights"/> (N values, or null)
    /// weights each sample's share of every term; <paramref name="epoch"/> and <paramref name="batch"/> (1-based)
    /// name the batch in errors.
    /// </summary>
    public BatchOutcome Run(Tensor inputs, Tensor labels, Tensor? teacherInputs, Tensor? sampleWeights, int epoch, int batch, double learningRate)
    {
        long n = inputs.shape[0];
        var all = teacherInputs is null ? inputs : cat(new[] { inputs, teacherInputs }, 0);
        Tensor? teacherAll = null;
        _features?.Start();
        if (_loss.NeedsTeacher || _features != null)
            using (no_grad()) teacherAll = _teacher!.Forward(all);
        var studentAll = _student.Forward(all);
        var featureTerm = _features?.Stop();
        var studentLogits = teacherInputs is null ? studentAll : studentAll.narrow(0, 0, n);
        var teacherLogits = teacherInputs is null ? teacherAll : teacherAll!.narrow(0, 0, n);
        var weights = WithDisagreement(sampleWeights, studentLogits, teacherLogits);
        var value = _loss.Compute(studentLogits, teacherLogits, labels, weights, WrongReference(teacherLogits, labels));
        var total = value.Total;
        if (teacherInputs is not null)
        {
            long m = teacherInputs.shape[0];
            var studentExtra = studentAll.narrow(0, n, m);
            var teacherExtra = teacherAll!.narrow(0, n, m);
            var extra = _loss.ComputeLabelFree(studentExtra, teacherExtra, WithDisagreement(null, studentExtra, teacherExtra));
            if (extra is not null) total = total + extra.Times(_teacherInputWeight);
        }
        if (featureTerm is not null) total = total + featureTerm.Times(_featureWeight);
        if (_lc != null) total = total + _lc.Penalty();
        double lossValue = total.item<float>();
        if (!double.IsFinite(lossValue))
            throw new EngineException("LossNotFinite", EngineErrorKind.InvalidOperation,
                $"The loss became {lossValue.ToString(CultureInfo.InvariantCulture)} in epoch {epoch}, batch {batch} (learning rate {learningRate.ToString(CultureInfo.InvariantCulture)}); lower the learning rate.",
                new { Epoch = epoch, Batch = batch });
        // Convolutions whose backward libtorch's oneDNN gets wrong, or crashes on, run it without oneDNN (ConvolutionGradientGuard).
        ConvolutionGradientGuard.Run(_guardBackward, total.backward);
        OnGradients?.Invoke();
        _constraints.BeforeStep();
        Optimizer.step();
        Gradients.Clear(_parameters);
        _constraints.AfterStep();
        return new BatchOutcome(lossValue, value, studentLogits);
    }

    /// <summary>
    /// The teacher terms' per-sample scale on a labelled batch: 1 where the reference gets the label right, the
    /// wrong-reference weight where it does not (null when that weight is 1, or without a teacher).
    /// </summary>
    private Tensor? WrongReference(Tensor? teacher, Tensor labels)
    {
        if (_wrongReferenceWeight == 1 || teacher is null) return null;
        using var _ = no_grad();
        var wrong = teacher.argmax(1).ne(labels).to(teacher.dtype);
        return wrong.TimesPlus(_wrongReferenceWeight - 1, 1);
    }

    /// <summary>
    /// The sample weights times 1 + the disagreement weight where the student's label differs from the teacher's
    /// (the samples it is about to flip or has flipped); the weights unchanged without a disagreement weight.
    /// </summary>
    private Tensor? WithDisagreement(Tensor? sampleWeights, Tensor student, Tensor? teacher)
    {
        if (_disagreementWeight == 0 || teacher is null) return sampleWeights;
        using var _ = no_grad();
        var weights = student.argmax(1).ne(teacher.argmax(1)).to(student.dtype).TimesPlus(_disagreementWeight, 1);
        return sampleWeights is null ? weights : weights * sampleWeights;
    }
}

/// <summary>What one batch measured: the loss value (with L-C's penalty), the loss's terms and weights, the student's logits.</summary>
internal sealed record BatchOutcome(double Loss, LossValue Value, Tensor StudentLogits);
