using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Strategies;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Export-Strategy; its help (synopsis, description, parameters, examples) is docs/en-US/Export-Strategy.md.</summary>
[Cmdlet(VerbsData.Export, "Strategy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo), typeof(CompressionModel))]
public sealed class ExportStrategyCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    /// <summary>The strategy's name (default: the file name without extension).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also pass the model on down the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        RequireSingleInput(Path, "'s history");
        var path = ResolveOutputPath(Path);
        try
        {
            StrategyWriter.CheckExportable(InputObject);
            Engine.Formats.AtomicFile.CheckWritable(path, Force.IsPresent);
            if (ShouldProcess(path, $"Export the {InputObject.History.Count}-step history of model '{InputObject.Name}' as a strategy"))
            {
                StrategyWriter.Export(InputObject, path, Name, Force.IsPresent);
                WriteVerbose($"Wrote strategy '{path}' ({InputObject.History.Count} step(s)).");
                if (!PassThru) WriteObject(new FileInfo(path));
            }
        }
        catch (EngineException e)
        {
            WriteEngineError(e);
            return;
        }
        if (PassThru) WriteObject(InputObject);
    }
}
