using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Operations;

/// <summary>
/// One compression step (prune, quantize, retrain, measure, ...). The cmdlet, the YAML strategy and the model's
/// history all use the same step name and settings keys (kebab-case, e.g. "ratio", "method", "learning-rate"), so an
/// interactive pipeline can be saved as a strategy and replayed: a cmdlet builds a <see cref="StepSettings"/> from
/// its parameters and calls <see cref="OperationRunner.Run"/>, exactly as the strategy runner does.
/// </summary>
public interface ICompressionOperation
{
    /// <summary>The step name used in strategies and history ("prune").</summary>
    string StepName { get; }

    /// <summary>The settings keys this step accepts (anything else is an error naming the key).</summary>
    IReadOnlyCollection<string> SettingKeys { get; }

    /// <summary>Checks settings (types, ranges, combinations) without running; throws <see cref="StepSettingException"/>.</summary>
    void Validate(StepSettings settings);

    /// <summary>
    /// Runs the step on a new model (never changing <paramref name="input"/> unless the settings say in-place) and
    /// returns it with operation-specific results for the history step.
    /// </summary>
    OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context);
}

/// <summary>What a step produced: the output model and figures for its history step.</summary>
public sealed record OperationResult(CompressionModel Model, IReadOnlyDictionary<string, object?> Results, bool RecordInHistory = true);

/// <summary>
/// Objects a step may need besides the model and its settings: data sets and an explicit reference. Typed as object
/// so this contract does not depend on the data-set types; steps check and cast them.
/// </summary>
public sealed class OperationInputs
{
    public static OperationInputs None => new();
    public object? TrainingData { get; init; }
    public object? ValidationData { get; init; }
    /// <summary>Inputs without labels that the retrain step's teacher labels (a data set; its labels are never read).</summary>
    public object? TeacherData { get; init; }
    public CompressionModel? Reference { get; init; }
}
