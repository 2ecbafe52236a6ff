using System.Runtime.InteropServices;
using CondensaPS.Engine.Native;

namespace CondensaPS.Engine.Tests;

public class LibTorchLogLevelTests
{
    [Fact]
    public void Loading_the_natives_has_libtorch_log_errors_only_unless_the_user_chose()
    {
        TorchRuntime.EnsureInitialized();
        // Set before libtorch loaded: by the loader (ERROR), or by whoever ran the tests (their choice is kept). It
        // must be in the native environment, which libtorch reads, and libtorch must have read it.
        var managed = Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL");
        Assert.NotNull(managed);
        Assert.Equal(managed, Marshal.PtrToStringAnsi(GetEnv("TORCH_CPP_LOG_LEVEL")));
        int expected = managed.ToUpperInvariant() switch
        {
            "0" or "INFO" => 0,
            "1" or "WARNING" => 1,
            "2" or "ERROR" => 2,
            "3" or "FATAL" => 3,
            _ => 1, // libtorch keeps its default, WARNING, for a value it cannot parse
        };
        var c10 = NativeLibrary.Load(Path.Combine(NativeLibraryLoader.LoadedFrom!, "libc10.so"));
        Assert.Equal(expected, Marshal.ReadInt32(NativeLibrary.GetExport(c10, "FLAGS_caffe2_log_level")));
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);
}
