using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Strategies;

/// <summary>
/// Runs a validated plan on a model, step after step, through <see cref="OperationRunner"/> (the same path the
/// cmdlets take, so each step lands in the model's history). The input model is left untouched; intermediate
/// models are disposed as soon as the next step has produced its successor.
/// </summary>
public static class StrategyRunner
{
    public static CompressionModel Run(StrategyPlan plan, CompressionModel model, OperationInputs? inputs = null, OperationContext? context = null)
    {
        context ??= OperationContext.None;
        inputs ??= OperationInputs.None;
        var activity = $"Strategy {plan.Document.Name}";
        context.Log($"Running strategy '{plan.Document.Name}' ({plan.Steps.Count} step(s)) from '{plan.Document.Path}' on model '{model.Name}'.");
        var current = model;
        try
        {
            for (int i = 0; i < plan.Steps.Count; i++)
            {
                context.ThrowIfCancelled();
                var step = plan.Steps[i];
                context.Report(new OperationProgress(activity, $"Step {i + 1} of {plan.Steps.Count}: {step.Name}", 100 * i / plan.Steps.Count, Id: 20));
                context.Log($"Step {i + 1} (line {step.Line}): {step}");
                var next = OperationRunner.Run(step.Operation, current, step.Settings.Clone(), inputs, context);
                if (!ReferenceEquals(current, model) && !ReferenceEquals(next, current)) current.Dispose();
                current = next;
            }
            context.Report(new OperationProgress(activity, "Done", 100, Id: 20, Completed: true));
            return current;
        }
        catch
        {
            if (!ReferenceEquals(current, model)) current.Dispose();
            throw;
        }
    }
}
