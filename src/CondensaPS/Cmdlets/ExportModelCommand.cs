using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>
/// <para type="synopsis">Writes a model to a file (TorchScript, TorchSharp weights or safetensors), atomically.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "Model", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CompressionModel))]
public sealed class ExportModelCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    [Parameter]
    public ModelFileFormat? Format { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private int _count;

    protected override void ProcessRecord()
    {
        if (++_count > 1)
            Throw(new EngineException("MultipleModelsToOnePath", EngineErrorKind.InvalidArgument,
                $"More than one model was piped to Export-Model -Path '{Path}'; export each model to its own file.", Path));
        var path = ResolveOutputPath(Path);
        try
        {
            var format = Format ?? ModelExporter.DefaultFormat(InputObject, path);
            ModelExporter.Validate(InputObject, format);
            AtomicFile.CheckWritable(path, Force.IsPresent);
            if (ShouldProcess(path, $"Export model '{InputObject.Name}' as {format}"))
            {
                RunEngine("Export-Model", _ => { ModelExporter.Export(InputObject, path, format, Force.IsPresent); return 0; });
                WriteVerbose($"Wrote '{path}' ({new FileInfo(path).Length:N0} bytes, {format}).");
            }
        }
        catch (EngineException e)
        {
            Throw(e);
        }
        if (PassThru) WriteObject(InputObject);
    }
}
