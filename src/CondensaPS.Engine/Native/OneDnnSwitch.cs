using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>
/// libtorch's process-wide "use oneDNN (mkldnn)" flag, <c>at::globalContext().setUserEnabledMkldnn</c>, which
/// TorchSharp 0.107 does not bind. Reached through the C++ symbols libtorch_cpu.so exports (Itanium ABI: a member
/// function takes the object as its first argument). <see cref="IsAvailable"/> is false where the symbols are missing
/// (another libtorch, or natives TorchSharp loaded itself).
/// </summary>
internal static unsafe class OneDnnSwitch
{
    private static readonly delegate* unmanaged<IntPtr> GlobalContext;
    private static readonly delegate* unmanaged<IntPtr, byte> GetEnabled;
    private static readonly delegate* unmanaged<IntPtr, byte, void> SetEnabled;

    static OneDnnSwitch()
    {
        TorchRuntime.EnsureInitialized();
        var lib = NativeLibraryLoader.LibTorchCpu;
        if (lib == IntPtr.Zero) return;
        if (NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var context)
            && NativeLibrary.TryGetExport(lib, "_ZNK2at7Context17userEnabledMkldnnEv", out var get)
            && NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledMkldnnEb", out var set))
        {
            GlobalContext = (delegate* unmanaged<IntPtr>)context;
            GetEnabled = (delegate* unmanaged<IntPtr, byte>)get;
            SetEnabled = (delegate* unmanaged<IntPtr, byte, void>)set;
        }
    }

    public static bool IsAvailable => GlobalContext != null;

    /// <summary>Whether libtorch may use oneDNN for the operations it supports (true unless switched off).</summary>
    public static bool Enabled
    {
        get => !IsAvailable || GetEnabled(GlobalContext()) != 0;
        set
        {
            if (!IsAvailable) throw new InvalidOperationException("libtorch's oneDNN switch is not available in these natives.");
            SetEnabled(GlobalContext(), value ? (byte)1 : (byte)0);
        }
    }
}
