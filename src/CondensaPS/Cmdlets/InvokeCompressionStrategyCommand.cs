using System.Collections;
using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Strategies;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Invoke-CompressionStrategy; its help (synopsis, description, parameters, examples) is docs/en-US/Invoke-CompressionStrategy.md.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "CompressionStrategy")]
[OutputType(typeof(CompressionModel))]
public sealed class InvokeCompressionStrategyCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A model object, or the path of a model file to import (with -Architecture for weights-only files).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("InputObject")]
    public object Model { get; set; } = null!;

    [Parameter]
    [ArgumentCompleter(typeof(ArchitectureCompleter))]
    public string? Architecture { get; set; }

    /// <summary>Values for the strategy's parameters, overriding its defaults: @{ ratio = 0.9 }.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Training data for steps that retrain.</summary>
    [Parameter]
    public object? Data { get; set; }

    /// <summary>Validation data for steps that measure.</summary>
    [Parameter]
    public object? ValidationData { get; set; }

    /// <summary>Unlabelled inputs that retrain steps learn the reference's outputs on (their labels are never read).</summary>
    [Parameter]
    public object? TeacherData { get; set; }

    private StrategyPlan? _plan;

    /// <summary>The strategy is the same for every piped model: a bad file or parameter is a terminating error.</summary>
    protected override void BeginProcessing()
    {
        try
        {
            _plan = StrategyPlan.Load(ResolveOutputPath(Path), Parameters);
            WriteVerbose($"Strategy '{_plan.Document.Name}': {_plan.Steps.Count} step(s), parameters {string.Join(", ", _plan.Parameters.Select(p => $"{p.Key}={p.Value}"))}.");
        }
        catch (EngineException e)
        {
            ThrowParameterError(e);
        }
    }

    protected override void ProcessRecord()
    {
        var plan = _plan!;
        try
        {
            // A model read from a path is the strategy's input; the strategy's output is what goes down the pipeline.
            var input = ModelFromArgument(Unwrap(Model)!, Architecture, out _);
            var inputs = new OperationInputs { TrainingData = Unwrap(Data), ValidationData = Unwrap(ValidationData), TeacherData = Unwrap(TeacherData) };
            var output = RunEngine($"Invoke-CompressionStrategy {plan.Document.Name}", ctx => StrategyRunner.Run(plan, input, inputs, ctx));
            WriteObject(output);
        }
        catch (EngineException e)
        {
            // About this model (a file that cannot be read, a step that fails on it): the next model still runs.
            WriteEngineError(e);
        }
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;
}
