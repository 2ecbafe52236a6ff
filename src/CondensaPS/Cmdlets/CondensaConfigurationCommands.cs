using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Native;
using CondensaPS.Engine.Strategies;
using CondensaPS.Infrastructure;

namespace CondensaPS.Cmdlets;

/// <summary>The module-level settings: torch's thread count, strategy size caps, backend and where the natives came from.</summary>
public sealed class CondensaConfiguration
{
    public int ThreadCount { get; init; }
    /// <summary>The largest strategy file read, in bytes.</summary>
    public long MaxStrategyFileBytes { get; init; }
    /// <summary>The most steps a strategy may have.</summary>
    public int MaxStrategySteps { get; init; }
    public string Backend { get; init; } = "";
    public bool CudaAvailable { get; init; }
    public string? NativeFolder { get; init; }
    public string Version { get; init; } = "";
}

/// <summary>Get-CondensaConfiguration; its help (synopsis, description, parameters, examples) is docs/en-US/Get-CondensaConfiguration.md.</summary>
[Cmdlet(VerbsCommon.Get, "CondensaConfiguration")]
[OutputType(typeof(CondensaConfiguration))]
public sealed class GetCondensaConfigurationCommand : PSCmdlet
{
    protected override void EndProcessing() => WriteObject(Current());

    internal static CondensaConfiguration Current() => new()
    {
        ThreadCount = TorchRuntime.Threads,
        MaxStrategyFileBytes = StrategyLimits.Current.MaxFileBytes,
        MaxStrategySteps = StrategyLimits.Current.MaxSteps,
        Backend = TorchRuntime.Backend,
        CudaAvailable = TorchRuntime.CudaAvailable,
        NativeFolder = NativeLibraryLoader.LoadedFrom,
        Version = typeof(TorchRuntime).Assembly.GetName().Version?.ToString() ?? "",
    };
}

/// <summary>Set-CondensaConfiguration; its help (synopsis, description, parameters, examples) is docs/en-US/Set-CondensaConfiguration.md.</summary>
[Cmdlet(VerbsCommon.Set, "CondensaConfiguration", SupportsShouldProcess = false)]
[OutputType(typeof(CondensaConfiguration))]
public sealed class SetCondensaConfigurationCommand : PSCmdlet
{
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThreadCount { get; set; }

    /// <summary>The largest strategy file read, in bytes (default 1 MiB).</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxStrategyFileBytes { get; set; }

    /// <summary>The most steps a strategy may have (default 1,000).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxStrategySteps { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        if (!new[] { nameof(ThreadCount), nameof(MaxStrategyFileBytes), nameof(MaxStrategySteps) }.Any(MyInvocation.BoundParameters.ContainsKey))
            ThrowTerminatingError(ErrorRecords.From(new EngineException("NoSettingGiven", EngineErrorKind.InvalidArgument,
                "Name a setting to change: -ThreadCount, -MaxStrategyFileBytes or -MaxStrategySteps.")));
        if (MyInvocation.BoundParameters.ContainsKey(nameof(ThreadCount)))
        {
            TorchRuntime.Threads = ThreadCount;
            WriteVerbose($"torch now uses {ThreadCount} thread(s) in this process.");
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxStrategyFileBytes)))
        {
            StrategyLimits.Current = StrategyLimits.Current with { MaxFileBytes = MaxStrategyFileBytes };
            WriteVerbose($"Strategy files of up to {MaxStrategyFileBytes:N0} bytes are read.");
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(MaxStrategySteps)))
        {
            StrategyLimits.Current = StrategyLimits.Current with { MaxSteps = MaxStrategySteps };
            WriteVerbose($"Strategies of up to {MaxStrategySteps:N0} steps are read.");
        }
        if (PassThru) WriteObject(GetCondensaConfigurationCommand.Current());
    }
}
