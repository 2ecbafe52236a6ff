using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Quantization;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>Invoke-Quantize; its help (synopsis, description, parameters, examples) is docs/en-US/Invoke-Quantize.md.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "Quantize")]
[OutputType(typeof(CompressionModel))]
public sealed class InvokeQuantizeCommand : StepCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0)]
    public QuantizationType Type { get; set; }

    /// <summary>Int8 only: one scale per output channel (default) or per tensor.</summary>
    [Parameter]
    public QuantizationGranularity Granularity { get; set; }

    /// <summary>Cluster only: bits per index, 2 to 8 (4 to 256 shared values per layer; default 5).</summary>
    [Parameter]
    [ValidateRange(QuantizeOptions.MinBits, QuantizeOptions.MaxBits)]
    public int Bits { get; set; }

    /// <summary>Cluster only: where k-means starts, Linear (default; Deep Compression's best) or Density.</summary>
    [Parameter]
    public ClusterInitialization Initialization { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Include { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Exclude { get; set; }

    [Parameter]
    public SwitchParameter InPlace { get; set; }

    protected override string StepName => "quantize";

    protected override StepSettings BuildSettings()
    {
        var settings = new StepSettings("quantize").Set(QuantizeOptions.Type, Type);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Granularity))) settings.Set(QuantizeOptions.Granularity, Granularity);
        else if (Type == QuantizationType.Int8) settings.Set(QuantizeOptions.Granularity, QuantizationGranularity.PerChannel);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Bits))) settings.Set(QuantizeOptions.Bits, Bits);
        else if (Type == QuantizationType.Cluster) settings.Set(QuantizeOptions.Bits, QuantizeOptions.DefaultBits);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Initialization))) settings.Set(QuantizeOptions.Initialization, Initialization);
        else if (Type == QuantizationType.Cluster) settings.Set(QuantizeOptions.Initialization, ClusterInitialization.Linear);
        if (Include is { Length: > 0 }) settings.Set(QuantizeOptions.Include, Include);
        if (Exclude is { Length: > 0 }) settings.Set(QuantizeOptions.Exclude, Exclude);
        if (InPlace) settings.Set(QuantizeOptions.InPlace, true);
        return settings;
    }

    protected override void ProcessRecord() => RunStep(InputObject);
}
