using System.Collections;
using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Strategies;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>What Test-Strategy found: a valid strategy's name, parameters and steps.</summary>
public sealed record StrategyInfo(string Path, string Name, string? Description, int Version, IReadOnlyDictionary<string, object?> Parameters, IReadOnlyList<string> Steps)
{
    public bool Valid => true;
}

/// <summary>Test-Strategy; its help (synopsis, description, parameters, examples) is docs/en-US/Test-Strategy.md.</summary>
[Cmdlet(VerbsDiagnostic.Test, "Strategy")]
[OutputType(typeof(StrategyInfo))]
public sealed class TestStrategyCommand : CondensaCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter]
    public Hashtable? Parameters { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            TorchRuntime.EnsureInitialized();
            var plan = StrategyPlan.Load(ResolveOutputPath(Path), Parameters);
            var d = plan.Document;
            WriteObject(new StrategyInfo(d.Path, d.Name, d.Description, d.Version, plan.Parameters, plan.Steps.Select(s => s.ToString()).ToList()));
        }
        catch (EngineException e)
        {
            // Several files may be piped in: report each bad one and go on.
            WriteEngineError(e);
        }
    }
}
