using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Invoke-Prune; its help (synopsis, description, parameters, examples) is docs/en-US/Invoke-Prune.md.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Prune")]
[OutputType(typeof(CompressionModel))]
public sealed class InvokePruneCommand : StepCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    /// <summary>The fraction of the selected weights (or filters, rows, blocks) to remove, 0 &lt;= r &lt; 1. Not used by -Method NM.</summary>
    [Parameter(Position = 0)]
    [ValidateRatio]
    public double Ratio { get; set; }

    [Parameter]
    public PruneMethod Method { get; set; } = PruneMethod.Magnitude;

    [Parameter]
    public PruneScope Scope { get; set; }

    [Parameter]
    public PruneCriterion Criterion { get; set; }

    /// <summary>Filter/Neuron: keep a multiple of this many survivors per layer.</summary>
    [Parameter]
    [ValidateRange(1, 65536)]
    public int Align { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int N { get; set; }

    [Parameter]
    [ValidateRange(1, 1024)]
    public int M { get; set; }

    /// <summary>Block: rows, columns.</summary>
    [Parameter]
    [ValidateCount(2, 2)]
    [ValidateRange(1, 65536)]
    public int[]? BlockSize { get; set; }

    /// <summary>Wildcard patterns over parameter names to prune (default: all convolution and linear weights).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Include { get; set; }

    /// <summary>Wildcard patterns over parameter names to leave dense (e.g. 'conv1.*').</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Exclude { get; set; }

    /// <summary>Change the input model itself instead of returning a new one (saves memory; the input no longer stays the reference).</summary>
    [Parameter]
    public SwitchParameter InPlace { get; set; }

    /// <summary>Filter/Neuron: remove the pruned filters or neurons, with everything coupled to them (batch norm, the next layers' inputs, residual partners, depthwise filters), so the model is smaller and faster.</summary>
    [Parameter]
    public SwitchParameter Slim { get; set; }

    /// <summary>The largest fraction of any one layer that pruning may remove (0 &lt; s &lt;= 1); global magnitude pruning takes the rest of its count from the other layers.</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MaxLayerSparsity { get; set; }

    /// <summary>-Slim: the shape of one input sample (e.g. 3,224,224) at which the model's structure is analysed; built-in models know theirs.</summary>
    [Parameter]
    [ValidateCount(1, 6)]
    [ValidateRange(1, long.MaxValue)]
    public long[]? InputShape { get; set; }

    protected override string StepName => "prune";

    protected override StepSettings BuildSettings()
    {
        if (Method != PruneMethod.NM && !MyInvocation.BoundParameters.ContainsKey(nameof(Ratio)))
            throw new EngineException("RatioRequired", EngineErrorKind.InvalidArgument, $"-Ratio is required for -Method {Method}: the fraction to remove, 0 <= r < 1.", Method);
        var settings = new StepSettings("prune");
        if (Method != PruneMethod.NM || MyInvocation.BoundParameters.ContainsKey(nameof(Ratio))) settings.Set(PruneOptions.Ratio, Ratio);
        settings.Set(PruneOptions.Method, Method);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Scope))) settings.Set(PruneOptions.Scope, Scope);
        else if (Method == PruneMethod.Magnitude) settings.Set(PruneOptions.Scope, PruneScope.Global);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Criterion))) settings.Set(PruneOptions.Criterion, Criterion);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Align))) settings.Set(PruneOptions.Align, Align);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(N)) || Method == PruneMethod.NM) settings.Set(PruneOptions.N, MyInvocation.BoundParameters.ContainsKey(nameof(N)) ? N : 2);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(M)) || Method == PruneMethod.NM) settings.Set(PruneOptions.M, MyInvocation.BoundParameters.ContainsKey(nameof(M)) ? M : 4);
        if (BlockSize != null) settings.Set(PruneOptions.BlockSize, BlockSize);
        if (Include is { Length: > 0 }) settings.Set(PruneOptions.Include, Include);
        if (Exclude is { Length: > 0 }) settings.Set(PruneOptions.Exclude, Exclude);
        if (InPlace) settings.Set(PruneOptions.InPlace, true);
        if (Slim) settings.Set(PruneOptions.Slim, true);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxLayerSparsity))) settings.Set(PruneOptions.MaxLayerSparsity, MaxLayerSparsity);
        if (InputShape is { Length: > 0 }) settings.Set(PruneOptions.InputShape, InputShape);
        return settings;
    }

    protected override void ProcessRecord() => RunStep(InputObject);
}
