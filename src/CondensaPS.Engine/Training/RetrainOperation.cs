using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training.Losses;

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
        var teacherData = TeacherDataOf(inputs, train, options);
        var teacher = inputs.Reference ?? input.Reference;
        if (options.NeedsTeacher && teacher is null)
            throw new EngineException("ReferenceRequired", EngineErrorKind.InvalidArgument,
                $"Loss terms {string.Join(", ", options.Terms.Where(t => t != "cross-entropy"))} need a reference model, and model '{input.Name}' has none: pass -Reference, or use -Loss CrossEntropy.", input.Name);
        if (input.IsTraced)
            throw new EngineException("TracedModelNotTrainable", EngineErrorKind.NotSupported,
                $"Model '{input.Name}' was made by torch.jit.trace, which freezes batch norm in the mode it was traced in; retrain a scripted (torch.jit.script) export instead.", input.Name);
        if (options.Method == RetrainMethod.Auto)
        {
            // Cross-entropy alone stays plain fine-tuning (the baseline); a loss that learns from the reference also
            // starts from it and prunes gradually, where the model allows.
            var why = options.NeedsTeacher ? GradualPruning.WhyNot(input, teacher, options.Epochs) : "the loss reads no reference";
            options = options with { Method = why is null ? RetrainMethod.Gradual : RetrainMethod.FineTune };
            context.Log(why is null
                ? $"Method auto: gradual pruning from the reference '{teacher!.Name}' to model '{input.Name}''s sparsity."
                : $"Method auto: fine-tuning with the masks held, because {why}.");
        }
        if (options.Method == RetrainMethod.Lc && input.Masks.Count == 0 && input.Quantization.Count == 0)
            throw new EngineException("NothingToConstrain", EngineErrorKind.InvalidArgument,
                $"Method lc needs a compressed model (masks or quantization); model '{input.Name}' has neither.", input.Name);
        if (options.Method == RetrainMethod.Gradual && input.Masks.Count == 0)
            throw new EngineException("GradualNeedsPrunedModel", EngineErrorKind.InvalidArgument,
                $"Method gradual prunes to a pruned model's masks; model '{input.Name}' has none (prune it first).", input.Name);
        if (options.Method == RetrainMethod.Gradual && input.Quantization.Count > 0)
            throw new EngineException("GradualQuantizedNotSupported", EngineErrorKind.NotSupported,
                $"Method gradual starts from the dense reference and cannot keep model '{input.Name}''s quantization; retrain the pruned model before quantizing it.", input.Name);
        if (options.Method == RetrainMethod.Gradual && GradualPruning.WhyNotMasks(input) is { } notMagnitude)
            throw new EngineException("GradualNeedsMagnitudePruning", EngineErrorKind.NotSupported,
                $"Method gradual prunes by weight magnitude and cannot remake model '{input.Name}''s masks: {notMagnitude}.", input.Name);
        DatasetModelCheck.Require(train, input);
        if (validation != null) DatasetModelCheck.Require(validation, input);
        if (teacher != null) DatasetModelCheck.Require(train, teacher);

        var sampleWeights = options.HasExampleScores ? LongTailWeights.For(options, train, context) : null;

        var student = input.Clone();
        try
        {
            student.Reference = teacher;
            var results = new RetrainTrainer(student, teacher, train, validation, options, context, sampleWeights, teacherData).Run();
            student.Module.eval();
            return new OperationResult(student, results);
        }
        catch
        {
            student.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The unlabelled inputs the teacher labels (<see cref="OperationInputs.TeacherData"/>), or null: a data set of
    /// the training data's sample shape (which fits the model: the training data is checked), learnt through the
    /// loss's terms that read no labels. Its labels and classes are never read.
    /// </summary>
    private static Dataset? TeacherDataOf(OperationInputs inputs, Dataset train, RetrainOptions options)
    {
        if (inputs.TeacherData is null) return null;
        var data = inputs.TeacherData as Dataset ?? throw new EngineException("TeacherDataNotADataset", EngineErrorKind.InvalidArgument,
            $"Teacher data must be a data set, not {inputs.TeacherData.GetType().Name}.", inputs.TeacherData);
        if (data.Count == 0)
            throw new EngineException("DatasetEmpty", EngineErrorKind.InvalidData, $"Teacher data '{data.Name}' has no samples.", data);
        if (data.Channels != train.Channels || data.Height != train.Height || data.Width != train.Width)
            throw new EngineException("TeacherDataShapeMismatch", EngineErrorKind.InvalidArgument,
                $"Teacher data '{data.Name}' has samples of {data.Shape}, the training data '{train.Name}' {train.Shape}; they are trained on in the same batches.", data);
        if (!options.Terms.Any(LossTerms.LabelFree.Contains))
            throw new EngineException("TeacherDataNeedsTeacherTerm", EngineErrorKind.InvalidArgument,
                $"Teacher data is learnt through loss terms that read no labels ({string.Join(", ", LossTerms.LabelFree)}); the loss is {string.Join(", ", options.Terms)}.", data);
        return data;
    }
}
