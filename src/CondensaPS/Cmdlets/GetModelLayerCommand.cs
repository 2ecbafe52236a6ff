using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Pruning;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Get-ModelLayer; its help (synopsis, description, parameters, examples) is docs/en-US/Get-ModelLayer.md.</summary>
[Cmdlet(VerbsCommon.Get, "ModelLayer")]
[OutputType(typeof(LayerSummary))]
public sealed class GetModelLayerCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    /// <summary>Wildcard patterns over parameter names.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Every parameter, biases and normalisation layers included.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            foreach (var row in LayerInventory.List(InputObject, All.IsPresent, Name)) WriteObject(row);
        }
        catch (EngineException e)
        {
            WriteEngineError(e);
        }
    }
}
