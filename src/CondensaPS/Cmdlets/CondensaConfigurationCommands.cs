using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Native;

namespace CondensaPS.Cmdlets;

/// <summary>The module-level settings: torch's thread count, backend and where the natives came from.</summary>
public sealed class CondensaConfiguration
{
    public int ThreadCount { get; init; }
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
    [Parameter(Mandatory = true)]
    [ValidateRange(1, 1024)]
    public int ThreadCount { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        TorchRuntime.Threads = ThreadCount;
        WriteVerbose($"torch now uses {ThreadCount} thread(s) in this process.");
        if (PassThru) WriteObject(GetCondensaConfigurationCommand.Current());
    }
}
