using CondensaPS.Engine.Native;
using TorchSharp;

namespace CondensaPS.Engine.Tests;

public class NativeLoadingTests
{
    [Fact]
    public void Natives_load_from_this_builds_folder_and_torch_computes()
    {
        TorchRuntime.EnsureInitialized();
        Assert.NotNull(NativeLibraryLoader.LoadedFrom);
        Assert.StartsWith(AppContext.BaseDirectory.TrimEnd('/'), NativeLibraryLoader.LoadedFrom!);
        using var t = torch.ones(3, 3) * 2;
        Assert.Equal(18f, t.sum().item<float>());
    }

    [Fact]
    public void Thread_count_is_set_once_and_can_be_changed()
    {
        TorchRuntime.EnsureInitialized();
        Assert.Equal(TorchRuntime.DefaultThreads, torch.get_num_threads());
        var old = TorchRuntime.Threads;
        try
        {
            TorchRuntime.Threads = 1;
            Assert.Equal(1, torch.get_num_threads());
        }
        finally { TorchRuntime.Threads = old; }
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Threads = 0);
    }

    [Fact]
    public void Patcher_marks_only_the_named_version_weak()
    {
        var original = Path.Combine(Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location)!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var bytes = File.ReadAllBytes(original);
        var copy = (byte[])bytes.Clone();
        Assert.Equal(1, ElfVersionNeedPatcher.MarkVersionWeak(copy, "GLIBCXX_3.4.32"));
        var changed = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] != copy[i]).ToList();
        Assert.Single(changed);
        Assert.Equal(bytes[changed[0]] | 0x2, copy[changed[0]]);
        Assert.Equal(0, ElfVersionNeedPatcher.MarkVersionWeak((byte[])bytes.Clone(), "GLIBCXX_9.9.99"));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MarkVersionWeak(new byte[100], "x"));
    }
}

public class OpenMpWaitPolicyTests
{
    [Fact]
    public void Loading_the_natives_sets_passive_OpenMP_waiting_unless_the_user_chose()
    {
        TorchRuntime.EnsureInitialized();
        // Set before libtorch loaded: by the loader (PASSIVE), or by whoever ran the tests (their choice is kept).
        // It must be in the native environment, which libgomp reads, not only in .NET's copy.
        var managed = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.NotNull(managed);
        Assert.Equal(managed, System.Runtime.InteropServices.Marshal.PtrToStringAnsi(GetEnv("OMP_WAIT_POLICY")));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv(string name);
}
