using System.Management.Automation;
using CondensaPS.Engine.Factorization;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>
/// Low-rank factorisation of a built-in model: each selected linear layer becomes two thinner ones (truncated SVD),
/// each convolution a triple (Tucker-2, default) or a pair (SVD), at -Rank or at the smallest rank keeping -Energy of
/// the squared singular values. Returns a new model with the thinner layers.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "Factorize", DefaultParameterSetName = RankSet)]
[OutputType(typeof(CompressionModel))]
public sealed class InvokeFactorizeCommand : StepCmdlet
{
    private const string RankSet = "Rank";
    private const string EnergySet = "Energy";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Model")]
    public CompressionModel InputObject { get; set; } = null!;

    /// <summary>The rank of every selected layer (both Tucker-2 ranks).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RankSet)]
    [ValidateRange(1, 1 << 20)]
    public int Rank { get; set; }

    /// <summary>The share of squared singular values each layer keeps, in (0, 1].</summary>
    [Parameter(Mandatory = true, ParameterSetName = EnergySet)]
    [ValidateRange(1e-9, 1.0)]
    public double Energy { get; set; }

    /// <summary>How convolutions are split: Tucker2 (1x1, kernel, 1x1; default) or Svd (kernel, 1x1).</summary>
    [Parameter]
    public ConvolutionFactorization Method { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Include { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ParameterNameCompleter))]
    public string[]? Exclude { get; set; }

    protected override string StepName => "factorize";

    protected override StepSettings BuildSettings()
    {
        var settings = new StepSettings("factorize");
        if (ParameterSetName == RankSet) settings.Set(FactorizeOptions.Key.Rank, Rank);
        else settings.Set(FactorizeOptions.Key.Energy, Energy);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(Method))) settings.Set(FactorizeOptions.Key.Method, Method);
        if (Include is { Length: > 0 }) settings.Set(FactorizeOptions.Key.Include, Include);
        if (Exclude is { Length: > 0 }) settings.Set(FactorizeOptions.Key.Exclude, Exclude);
        return settings;
    }

    protected override void ProcessRecord() => RunStep(InputObject);
}
