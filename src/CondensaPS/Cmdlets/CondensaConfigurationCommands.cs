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

/// <summary><para type="synopsis">Shows the module-level settings.</para></summary>
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

/// <summary><para type="synopsis">Changes the module-level settings (torch's thread count for this process).</para></summary>
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
