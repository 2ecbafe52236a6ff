using System.Management.Automation;
using CondensaPS.Engine;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Loads torch's natives when the module is imported, so that Import-Module fails with one message that says what
/// is missing instead of the first cmdlet failing later with a DllNotFoundException.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport() => TorchRuntime.EnsureInitialized();
}
