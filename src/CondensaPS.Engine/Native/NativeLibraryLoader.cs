using System.Reflection;
using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>
/// Loads libtorch and libLibTorchSharp by absolute path from the folder this assembly was loaded from, before
/// TorchSharp's first call, so that TorchSharp neither finds a system libtorch nor copies natives around
/// (DESIGN.md §7). When libLibTorchSharp.so fails only for want of GLIBCXX_3.4.32, a copy with that requirement
/// marked weak is loaded instead: beside the original when that folder is writable, else in a per-user temp folder.
/// </summary>
public static class NativeLibraryLoader
{
    private const string GlibcxxVersion = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static string? _loadedFrom;

    /// <summary>The folder the natives were loaded from, once loaded.</summary>
    public static string? LoadedFrom => _loadedFrom;

    /// <summary>The handle of libtorch_cpu.so once loaded (zero where TorchSharp loads the natives itself).</summary>
    internal static IntPtr LibTorchCpu { get; private set; }

    /// <summary>Native libraries in load order (a CUDA build adds the CUDA ones, when present).</summary>
    private static readonly string[] LibTorchFiles =
    {
        "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so",
    };

    public static void EnsureLoaded()
    {
        if (_loadedFrom != null) return;
        lock (Gate)
        {
            if (_loadedFrom != null) return;
            if (!OperatingSystem.IsLinux())
            {
                // TorchSharp's own probing is right on Windows and macOS.
                _loadedFrom = "";
                return;
            }
            var folder = FindNativeFolder();
            UsePassiveOpenMpWaiting();
            KeepLargeAllocationsInTheHeap();
            LibTorchLogLevel.DefaultToErrorsOnly();
            var libC10 = IntPtr.Zero;
            foreach (var name in LibTorchFiles)
            {
                var path = Path.Combine(folder, name);
                if (!File.Exists(path)) continue;
                try
                {
                    var handle = NativeLibrary.Load(path);
                    if (name == "libtorch_cpu.so") LibTorchCpu = handle;
                    if (name == "libc10.so") libC10 = handle;
                }
                catch (Exception e)
                {
                    throw new NativeLoadException($"CondensaPS could not load the native library '{path}': {e.Message}", e);
                }
            }
            LibTorchLogLevel.Apply(libC10);
            LoadLibTorchSharp(FindLibTorchSharp(folder));
            _loadedFrom = folder;
        }
    }

    /// <summary>
    /// libtorch's OpenMP threads spin while they wait for work by default; on a small, busy machine that makes two
    /// threads several times slower than one (measured: LeNet-5 training 465 img/s instead of 5,700). Passive waiting
    /// avoids it. Set in the native environment (libgomp reads it when it loads), unless the user set it already.
    /// </summary>
    private static void UsePassiveOpenMpWaiting() => NativeEnvironment.SetUnlessSet("OMP_WAIT_POLICY", "PASSIVE");

    /// <summary>
    /// glibc serves allocations above a threshold (128 KiB, raised dynamically) with mmap and gives them back to the
    /// system on free, so a buffer allocated and freed on every call costs fresh, zeroed pages every time. oneDNN's
    /// convolution scratch buffers are such buffers: on a 2-core box ResNet-18 training on 32x32 input ran at 190-200
    /// img/s that way, and at 470-490 with large allocations kept in the heap (both libtorch 2.10 and PyTorch 1.13,
    /// measured by bench/retrain). The thresholds are raised to 32 MiB (glibc's ceiling for mmap) and 128 MiB (trim),
    /// unless the user set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_. Memory freed stays with the process for
    /// reuse, so resident memory settles at the peak of a step instead of following every call.
    /// </summary>
    private static void KeepLargeAllocationsInTheHeap()
    {
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null) return;
        try
        {
            MallOpt(MallocTrimThreshold, 128 << 20);
            MallOpt(MallocMmapThreshold, 32 << 20);
        }
        catch (EntryPointNotFoundException) { } // not glibc: its allocator has its own policy
        catch (DllNotFoundException) { }
    }

    private const int MallocTrimThreshold = -1;  // M_TRIM_THRESHOLD in malloc.h
    private const int MallocMmapThreshold = -3;  // M_MMAP_THRESHOLD

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>The first folder that holds libtorch_cpu.so among the places a build or a module puts natives.</summary>
    public static string FindNativeFolder()
    {
        var assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location) ?? AppContext.BaseDirectory;
        var candidates = new List<string>();
        var overrideDir = Environment.GetEnvironmentVariable("CONDENSAPS_NATIVE_DIR");
        if (!string.IsNullOrEmpty(overrideDir)) candidates.Add(overrideDir);
        foreach (var root in new[] { assemblyDir, AppContext.BaseDirectory })
        {
            candidates.Add(Path.Combine(root, "runtimes", "linux-x64", "native"));
            candidates.Add(root);
        }
        foreach (var dir in candidates)
            if (File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return dir;
        throw new NativeLoadException(
            "CondensaPS could not find libtorch (libtorch_cpu.so). Looked in: " + string.Join(", ", candidates.Distinct()) +
            ". Rebuild the module with 'dotnet build CondensaPS.sln' so that out/CondensaPS/runtimes/linux-x64/native holds the natives, or set CONDENSAPS_NATIVE_DIR.");
    }

    private static string FindLibTorchSharp(string torchFolder)
    {
        var assemblyDir = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location) ?? AppContext.BaseDirectory;
        foreach (var dir in new[] { torchFolder, Path.Combine(assemblyDir, "runtimes", "linux-x64", "native"), assemblyDir })
        {
            var path = Path.Combine(dir, "libLibTorchSharp.so");
            if (File.Exists(path)) return path;
        }
        throw new NativeLoadException($"CondensaPS could not find libLibTorchSharp.so beside libtorch in '{torchFolder}'. Rebuild the module with 'dotnet build CondensaPS.sln'.");
    }

    private static void LoadLibTorchSharp(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return;
        }
        catch (DllNotFoundException e) when (e.Message.Contains(GlibcxxVersion))
        {
            var patched = PatchedCopyPath(path);
            try { NativeLibrary.Load(patched); }
            catch (Exception inner)
            {
                throw new NativeLoadException($"CondensaPS could not load '{patched}' (a copy of '{path}' with its {GlibcxxVersion} requirement marked weak): {inner.Message}", inner);
            }
        }
        catch (Exception e)
        {
            throw new NativeLoadException($"CondensaPS could not load the native library '{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes (once) a copy of libLibTorchSharp.so whose GLIBCXX_3.4.32 requirement is weak.</summary>
    private static string PatchedCopyPath(string original)
    {
        var bytes = File.ReadAllBytes(original);
        if (ElfVersionNeedPatcher.MarkVersionWeak(bytes, GlibcxxVersion) == 0)
            throw new NativeLoadException($"'{original}' needs {GlibcxxVersion}, which this system's libstdc++ lacks, and no such version requirement was found to relax.");
        var stamp = $"{new FileInfo(original).Length:x}-{File.GetLastWriteTimeUtc(original).Ticks:x}";
        var fileName = $"libLibTorchSharp.glibcxx-weak.{stamp}.so";
        // The copy keeps the original's RUNPATH ($ORIGIN), but libtorch is already loaded by absolute path, so a copy
        // in a temp folder resolves its dependencies to the same, already loaded libraries by soname.
        var targets = new[]
        {
            Path.Combine(Path.GetDirectoryName(original)!, fileName),
            Path.Combine(Path.GetTempPath(), $"condensaps-{Environment.UserName}", fileName),
        };
        if (original.Contains($"{Path.DirectorySeparatorChar}.nuget{Path.DirectorySeparatorChar}packages{Path.DirectorySeparatorChar}"))
            targets = targets[1..]; // never write into the NuGet package cache
        foreach (var target in targets)
        {
            if (File.Exists(target) && new FileInfo(target).Length == bytes.Length) return target;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
                File.WriteAllBytes(temp, bytes);
                File.Move(temp, target, overwrite: true);
                return target;
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException) { /* read-only: try the next place */ }
        }
        throw new NativeLoadException($"CondensaPS could not write a patched copy of '{original}' in the module folder or in the temp folder.");
    }
}

/// <summary>The natives could not be found or loaded; the message says what is missing.</summary>
public sealed class NativeLoadException : Exception
{
    public NativeLoadException(string message, Exception? inner = null) : base(message, inner) { }
}
