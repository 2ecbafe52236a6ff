using System.Diagnostics;
using CondensaPS.Engine.History;
using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Operations;

/// <summary>
/// Runs one step the same way for cmdlets and strategies: validates the settings, applies the step, and appends a
/// history step (operation, settings, elapsed time, figures before and after, results) to the output model.
/// </summary>
public static class OperationRunner
{
    public static CompressionModel Run(string step, CompressionModel input, StepSettings settings, OperationInputs? inputs = null, OperationContext? context = null)
        => Run(OperationRegistry.Get(step), input, settings, inputs, context);

    public static CompressionModel Run(ICompressionOperation operation, CompressionModel input, StepSettings settings, OperationInputs? inputs = null, OperationContext? context = null)
    {
        TorchRuntime.EnsureInitialized();
        context ??= OperationContext.None;
        settings.RequireKnownKeys(operation.SettingKeys);
        operation.Validate(settings);
        var before = input.Figures();
        var watch = Stopwatch.StartNew();
        var result = operation.Apply(input, settings, inputs ?? OperationInputs.None, context);
        watch.Stop();
        if (result.RecordInHistory)
            result.Model.AppendHistory(new HistoryStep(operation.StepName, settings.ToDictionary(), watch.Elapsed, before, result.Model.Figures(), result.Results));
        return result.Model;
    }
}
