using System.Management.Automation;
using CondensaPS.Engine;
using CondensaPS.Engine.Native;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Loads torch's natives when the module is imported, so that Import-Module fails with one message that says what
/// is missing instead of the first cmdlet failing later with a DllNotFoundException. The failure carries the stable
/// ErrorId <see cref="NativeLoadFailedException.ErrorId"/> and category NotInstalled.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    public void OnImport()
    {
        try
        {
            TorchRuntime.EnsureInitialized();
        }
        catch (NativeLoadException e)
        {
            throw new NativeLoadFailedException(e);
        }
    }
}

/// <summary>Import-Module could not load libtorch or libLibTorchSharp: a record with a stable ErrorId and category.</summary>
public sealed class NativeLoadFailedException : RuntimeException
{
    public const string ErrorId = "NativeLibraryLoadFailed";
    private readonly ErrorRecord _record;

    public NativeLoadFailedException(NativeLoadException inner) : base(inner.Message, inner)
    {
        _record = new ErrorRecord(this, ErrorId, ErrorCategory.NotInstalled, Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location));
    }

    public override ErrorRecord ErrorRecord => _record;
}
