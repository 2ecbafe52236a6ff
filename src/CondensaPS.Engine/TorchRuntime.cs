using CondensaPS.Engine.Native;
using TorchSharp;

namespace CondensaPS.Engine;

/// <summary>
/// Process-wide torch set-up: natives loaded by absolute path, and the thread count set once per process
/// (CONDENSAPS_THREADS, else 2, the cores these machines have). Every engine entry point calls <see cref="EnsureInitialized"/>.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _initialized;
    private static int _threads;

    public static int DefaultThreads
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("CONDENSAPS_THREADS");
            if (int.TryParse(env, out var n) && n > 0) return n;
            return Math.Max(1, Math.Min(Environment.ProcessorCount, 2));
        }
    }

    public static void EnsureInitialized()
    {
        if (_initialized) return;
        lock (Gate)
        {
            if (_initialized) return;
            NativeLibraryLoader.EnsureLoaded();
            _threads = DefaultThreads;
            torch.set_num_threads(_threads);
            _initialized = true;
        }
    }

    /// <summary>The intra-op thread count torch uses in this process.</summary>
    public static int Threads
    {
        get { EnsureInitialized(); return _threads; }
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "The thread count must be at least 1.");
            EnsureInitialized();
            lock (Gate)
            {
                if (value == _threads) return;
                torch.set_num_threads(value);
                _threads = value;
            }
        }
    }

    /// <summary>
    /// Applies the thread count to the calling thread: with OpenMP, torch's intra-op setting is per thread, so a
    /// worker thread that runs torch code calls this first.
    /// </summary>
    public static void ApplyThreadsToCurrentThread()
    {
        EnsureInitialized();
        if (torch.get_num_threads() != _threads) torch.set_num_threads(_threads);
    }

    public static bool CudaAvailable
    {
        get { EnsureInitialized(); return torch.cuda.is_available(); }
    }

    public static string Backend =>
#if TORCH_CUDA
        "cuda";
#else
        "cpu";
#endif
}
