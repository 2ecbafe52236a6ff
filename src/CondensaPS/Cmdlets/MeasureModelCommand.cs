using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Measure-Model; its help (synopsis, description, parameters, examples) is docs/en-US/Measure-Model.md.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "Model")]
[OutputType(typeof(ModelMeasurement))]
public sealed class MeasureModelCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    /// <summary>The shape of one sample, e.g. 3,224,224 (the batch size comes from -BatchSize). Built-in models know theirs.</summary>
    [Parameter]
    [ValidateCount(1, 6)]
    [ValidateRange(1, long.MaxValue)]
    public long[]? InputShape { get; set; }

    /// <summary>A model to measure alongside with the same inputs, for the Speedup and SizeRatio columns.</summary>
    [Parameter]
    public CompressionModel? Reference { get; set; }

    /// <summary>Times the model on the data set's first samples instead of random inputs of -InputShape.</summary>
    [Parameter]
    public CondensaPS.Engine.Data.Dataset? Data { get; set; }

    [Parameter]
    [ValidateRange(1, 65536)]
    public int BatchSize { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int Iterations { get; set; } = 20;

    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int Warmup { get; set; } = 3;

    /// <summary>Skips timing training steps (inference and bytes only).</summary>
    [Parameter]
    public SwitchParameter SkipTraining { get; set; }

    protected override void ProcessRecord()
    {
        var options = new ModelMeasurementOptions
        {
            InputShape = InputShape,
            BatchSize = BatchSize,
            Iterations = Iterations,
            Warmup = Warmup,
            Training = !SkipTraining.IsPresent,
            Data = Data,
        };
        try
        {
            var model = InputObject;
            var reference = Reference;
            WriteObject(RunEngine("Measure-Model", ctx => ModelMeasurementRunner.Measure(model, options, reference, ctx)));
        }
        catch (EngineException e)
        {
            // One model that cannot be measured should not stop the others in the pipeline.
            WriteEngineError(e);
        }
    }
}
