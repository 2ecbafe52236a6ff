using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Base of the cmdlets that run one compression step on each piped model (Invoke-Prune, Invoke-Quantize,
/// Start-LabelPreservingRetrain). The step's settings come from the parameters alone, so they are built and validated
/// once, before the first model: a bad value or combination is a terminating parameter error, as PowerShell's own
/// cmdlets report binding problems. A failure about one model is a non-terminating error, and the next model still runs.
/// </summary>
public abstract class StepCmdlet : CondensaCmdlet
{
    private StepSettings? _settings;
    private ICompressionOperation? _operation;

    /// <summary>The strategy step this cmdlet runs ("prune", "quantize", "retrain").</summary>
    protected abstract string StepName { get; }

    /// <summary>The step's settings from the bound parameters; throws an <see cref="EngineException"/> for a bad combination.</summary>
    protected abstract StepSettings BuildSettings();

    protected override void BeginProcessing()
    {
        try
        {
            _operation = OperationRegistry.Get(StepName);
            _settings = BuildSettings();
            _settings.RequireKnownKeys(_operation.SettingKeys);
            _operation.Validate(_settings);
        }
        catch (EngineException e)
        {
            ThrowParameterError(e);
        }
    }

    /// <summary>Runs the step on one model and writes the new model, or a non-terminating error about this model.</summary>
    protected void RunStep(CompressionModel model, OperationInputs? inputs = null)
    {
        try
        {
            WriteObject(RunEngine(MyInvocation.MyCommand.Name, ctx => OperationRunner.Run(_operation!, model, _settings!, inputs, ctx)));
        }
        catch (EngineException e)
        {
            WriteEngineError(e);
        }
    }
}
