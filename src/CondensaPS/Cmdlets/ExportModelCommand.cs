using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Export-Model; its help (synopsis, description, parameters, examples) is docs/en-US/Export-Model.md.</summary>
[Cmdlet(VerbsData.Export, "Model", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PassThruSet)]
[OutputType(typeof(CompressionModel), ParameterSetName = new[] { PassThruSet })]
[OutputType(typeof(ModelExportReport), ParameterSetName = new[] { ReportSet })]
public sealed class ExportModelCommand : CondensaCmdlet
{
    private const string PassThruSet = "PassThru";
    private const string ReportSet = "Report";

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

    /// <summary>Compact only: leaves the history out of the file (the smallest file; the model reads back with no history).</summary>
    [Parameter]
    public SwitchParameter ExcludeHistory { get; set; }

    [Parameter(ParameterSetName = PassThruSet)]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Writes a report (path, format, bytes, bytes by tensor type, dense fp32 bytes, ratio) instead of the model.</summary>
    [Parameter(ParameterSetName = ReportSet)]
    public SwitchParameter Report { get; set; }

    protected override void BeginProcessing()
    {
        // A format that is never written is a parameter error, the same for every model.
        if (Format is { } format && !ModelExporter.IsWritable(format, out var why))
            ThrowParameterError(new EngineException("FormatNotWritable", EngineErrorKind.NotSupported, why, format));
    }

    protected override void ProcessRecord()
    {
        RequireSingleInput(Path, "");
        var path = ResolveOutputPath(Path);
        try
        {
            var format = Format ?? ModelExporter.DefaultFormat(InputObject, path);
            var compact = new Engine.Formats.Compact.CompactWriteOptions { ExcludeHistory = ExcludeHistory.IsPresent };
            ModelExporter.Validate(InputObject, format, compact);
            AtomicFile.CheckWritable(path, Force.IsPresent);
            if (ShouldProcess(path, $"Export model '{InputObject.Name}' as {format}"))
            {
                var model = InputObject;
                var force = Force.IsPresent;
                var report = RunEngine("Export-Model", ctx => ModelExporter.Export(model, path, format, force, ctx.Cancellation, ctx.Log, compact));
                WriteVerbose($"Wrote '{path}' ({report.Bytes:N0} bytes, {format}: {report.TypeSummary}; dense fp32 {report.DenseBytes:N0} bytes, ratio {report.CompressionRatio:N2}x).");
                if (Report) WriteObject(report);
            }
        }
        catch (EngineException e)
        {
            // A missing folder, an existing file without -Force, a format this model cannot take: about this model's
            // export, so non-terminating; nothing was written.
            WriteEngineError(e);
            return;
        }
        if (PassThru) WriteObject(InputObject);
    }
}
