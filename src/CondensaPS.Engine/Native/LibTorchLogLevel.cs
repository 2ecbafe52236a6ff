using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>
/// libtorch writes its own log lines (c10's LOG(WARNING), and TORCH_WARN through c10's default warning handler)
/// straight to the process's stderr, past PowerShell's streams, where neither -WarningAction nor a redirection reaches
/// them. On a CPU that NNPACK does not support, each convolution forward that oneDNN declines (a batch of one sample,
/// as in the check that a data set fits a model) logs "Could not initialize NNPACK! Reason: Unsupported hardware.":
/// 19 lines for a ResNet-18, 38 for one Measure-Mismatch. PyTorch's documented switch, TORCH_CPP_LOG_LEVEL
/// (INFO, WARNING, ERROR, FATAL or 0-3), is read only by c10::initLogging, which Python's torch calls and TorchSharp
/// does not, so in a TorchSharp process the variable did nothing. Here it defaults to ERROR, unless the user set it,
/// and c10::initLogging runs once libc10 is loaded, so libtorch honours whichever value is set.
/// </summary>
internal static unsafe class LibTorchLogLevel
{
    public const string Variable = "TORCH_CPP_LOG_LEVEL";
    public const string Default = "ERROR";

    /// <summary>
    /// Puts TORCH_CPP_LOG_LEVEL=ERROR in the native environment (where libtorch reads it) and in .NET's copy, unless
    /// the user set a value.
    /// </summary>
    public static void DefaultToErrorsOnly() => NativeEnvironment.SetUnlessSet(Variable, Default);

    /// <summary>Has libtorch read TORCH_CPP_LOG_LEVEL: calls c10::initLogging in the loaded libc10.so.</summary>
    public static void Apply(IntPtr libC10)
    {
        if (libC10 == IntPtr.Zero) return;
        if (NativeLibrary.TryGetExport(libC10, "_ZN3c1011initLoggingEv", out var initLogging))
            ((delegate* unmanaged<void>)initLogging)();
    }
}
