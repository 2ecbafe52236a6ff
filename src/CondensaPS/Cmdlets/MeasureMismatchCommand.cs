using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Charts;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Measure-Mismatch; its help (synopsis, description, parameters, examples) is docs/en-US/Measure-Mismatch.md.</summary>
[Cmdlet(VerbsDiagnostic.Measure, "Mismatch", SupportsShouldProcess = true, DefaultParameterSetName = DefaultSet)]
[OutputType(typeof(MismatchReport))]
public sealed class MeasureMismatchCommand : CondensaCmdlet
{
    private const string DefaultSet = "Default";
    private const string ScoreSet = "Score";

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

    /// <summary>
    /// A score per sample of -Data: a memorisation result (Measure-Memorization) or its file, whose training examples
    /// are scored by memorisation and test examples by influence; or numbers, one per sample (a class frequency, say).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = ScoreSet)]
    [ExampleScoresTransformation]
    public ExampleScores? Score { get; set; }

    /// <summary>Which score of a memorisation result: memorization or held-out-accuracy (training data), influence or accuracy (test data).</summary>
    [Parameter(ParameterSetName = ScoreSet)]
    [ArgumentCompleter(typeof(ScoreNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? ScoreName { get; set; }

    /// <summary>Split the scored samples into this many buckets of about equal size (default 5; tied scores share a bucket).</summary>
    [Parameter(ParameterSetName = ScoreSet)]
    public int ScoreBuckets { get; set; } = ScoreBucketing.DefaultCount;

    /// <summary>Split the scored samples at these scores instead (0.25, 0.5: below 0.25, 0.25 up to 0.5, 0.5 and above).</summary>
    [Parameter(ParameterSetName = ScoreSet)]
    public double[]? ScoreBucketEdges { get; set; }

    /// <summary>How many mismatching samples with the highest scores to list (default 10).</summary>
    [Parameter(ParameterSetName = ScoreSet)]
    [ValidateRange(0, 100000)]
    public int TopFlipped { get; set; } = MismatchByScoreMetrics.DefaultTop;

    /// <summary>Also draw the rates by score bucket: this PNG and an SVG beside it.</summary>
    [Parameter(ParameterSetName = ScoreSet)]
    [ValidateNotNullOrEmpty]
    public string? ScoreChartPath { get; set; }

    private ScoreBreakdownRequest? _byScore;

    /// <summary>The scores and buckets are about the parameters alone (the same for every piped model): bad ones stop the command.</summary>
    protected override void BeginProcessing()
    {
        if (Score is null) return;
        try
        {
            if (ScoreBucketEdges is not null && MyInvocation.BoundParameters.ContainsKey(nameof(ScoreBuckets)))
                throw new EngineException("ScoreBucketsConflict", EngineErrorKind.InvalidArgument,
                    "-ScoreBuckets makes buckets of equal size and -ScoreBucketEdges buckets at given scores; give one of them.", ScoreBucketEdges);
            var bucketing = ScoreBucketEdges is not null ? ScoreBucketing.At(ScoreBucketEdges) : ScoreBucketing.Quantiles(ScoreBuckets);
            var (name, values) = Score.For(Data, ScoreName);
            WriteVerbose($"Mismatches by {name} ({Score}), {bucketing}.");
            _byScore = new ScoreBreakdownRequest(name, values, bucketing, TopFlipped);
        }
        catch (EngineException e)
        {
            ThrowParameterError(e);
        }
    }

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
            var scoreChart = ScoreChartPath is null ? null : ResolveOutputPath(ScoreChartPath);
            if (scoreChart is not null)
            {
                AtomicFile.CheckWritable(scoreChart, Force);
                AtomicFile.CheckWritable(ChartFiles.SvgPath(scoreChart), Force);
            }
            var report = RunEngine("Measure-Mismatch", ctx => MismatchMeasurer.Measure(reference, Compressed, Data, ctx, _byScore));
            if (chart is not null && ShouldProcess(chart, "Write the reference-to-compressed confusion heat map (PNG and SVG)"))
                WriteVerbose($"Wrote {string.Join(", ", ConfusionHeatmap.Write(report, Data.ClassNames, chart, Force))}.");
            if (scoreChart is not null && ShouldProcess(scoreChart, "Write the mismatch and negative-flip rates by score bucket (PNG and SVG)"))
                WriteVerbose($"Wrote {string.Join(", ", MismatchByScoreChart.Write(report, scoreChart, Force))}.");
            WriteObject(report);
        }
        catch (EngineException e)
        {
            // About this compressed model (no reference, a data set that does not fit it): the next one still runs.
            WriteEngineError(e);
        }
    }
}
