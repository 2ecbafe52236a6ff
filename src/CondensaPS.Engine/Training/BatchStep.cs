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
    private readonly optim.Optimizer _optimizer;
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly StepConstraints _constraints;
    private readonly LcState? _lc;
    private readonly bool _guardBackward;

    public BatchStep(CompressionModel student, CompressionModel? teacher, RetrainLoss loss, optim.Optimizer optimizer, IReadOnlyList<Parameter> parameters,
        StepConstraints constraints, LcState? lc, bool guardBackward)
    {
        _student = student;
        _teacher = teacher;
        _loss = loss;
        _optimizer = optimizer;
        _parameters = parameters;
        _constraints = constraints;
        _lc = lc;
        _guardBackward = guardBackward;
    }

    /// <summary>
    /// Trains on one batch and returns what it measured. <paramref name="sampleWeights"/> (N values, or null) weights
    /// each sample's share of every term; <paramref name="epoch"/> and <paramref name="batch"/> (1-based) name the
    /// batch in errors.
    /// </summary>
    public BatchOutcome Run(Tensor inputs, Tensor labels, Tensor? sampleWeights, int epoch, int batch, double learningRate)
    {
        Tensor? teacherLogits = null;
        if (_loss.NeedsTeacher)
            using (no_grad()) teacherLogits = _teacher!.Forward(inputs);
        var studentLogits = _student.Forward(inputs);
        var value = _loss.Compute(studentLogits, teacherLogits, labels, sampleWeights);
        var total = value.Total;
        if (_lc != null) total = total + _lc.Penalty();
        double lossValue = total.item<float>();
        if (!double.IsFinite(lossValue))
            throw new EngineException("LossNotFinite", EngineErrorKind.InvalidOperation,
                $"The loss became {lossValue.ToString(CultureInfo.InvariantCulture)} in epoch {epoch}, batch {batch} (learning rate {learningRate.ToString(CultureInfo.InvariantCulture)}); lower the learning rate.",
                new { Epoch = epoch, Batch = batch });
        // Convolutions whose backward libtorch's oneDNN gets wrong, or crashes on, run it without oneDNN (ConvolutionGradientGuard).
        ConvolutionGradientGuard.Run(_guardBackward, total.backward);
        _constraints.BeforeStep();
        _optimizer.step();
        Gradients.Clear(_parameters);
        _constraints.AfterStep();
        return new BatchOutcome(lossValue, value, studentLogits);
    }
}

/// <summary>What one batch measured: the loss value (with L-C's penalty), the loss's terms and weights, the student's logits.</summary>
internal sealed record BatchOutcome(double Loss, LossValue Value, Tensor StudentLogits);
