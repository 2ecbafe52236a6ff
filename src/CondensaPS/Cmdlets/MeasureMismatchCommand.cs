using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Charts;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Measure-Mismatch; its help (synopsis, description, parameters, examples) is docs/en-US/Measure-Mismatch.md.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "Mismatch", SupportsShouldProcess = true)]
[OutputType(typeof(MismatchReport))]
public sealed class MeasureMismatchCommand : CondensaCmdlet
{
    /// <summary>Default: the compressed model's recorded reference.</summary>
    [Parameter]
    public CompressionModel? Reference { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model", "InputObject")]
    public CompressionModel Compressed { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public Dataset Data { get; set; } = null!;

    /// <summary>Also draw the reference-to-compressed confusion as a heat map: this PNG and an SVG beside it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ChartPath { get; set; }

    /// <summary>Overwrite existing chart files.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var reference = Reference ?? Compressed.Reference
                ?? throw new EngineException("ReferenceRequired", EngineErrorKind.InvalidArgument,
                    $"Model '{Compressed.Name}' records no reference; pass -Reference.", Compressed.Name);
            WriteVerbose($"Reference '{reference.Name}', compressed '{Compressed.Name}', data '{Data.Name}' ({Data.Count:N0} samples).");
            var chart = ChartPath is null ? null : ResolveOutputPath(ChartPath);
            if (chart is not null)
            {
                AtomicFile.CheckWritable(chart, Force);
                AtomicFile.CheckWritable(ConfusionHeatmap.SvgPathOf(chart), Force);
            }
            var report = RunEngine("Measure-Mismatch", ctx => MismatchMeasurer.Measure(reference, Compressed, Data, ctx));
            if (chart is not null && ShouldProcess(chart, "Write the reference-to-compressed confusion heat map (PNG and SVG)"))
                WriteVerbose($"Wrote {string.Join(", ", ConfusionHeatmap.Write(report, Data.ClassNames, chart, Force))}.");
            WriteObject(report);
        }
        catch (EngineException e)
        {
            // About this compressed model (no reference, a data set that does not fit it): the next one still runs.
            WriteEngineError(e);
        }
    }
}
