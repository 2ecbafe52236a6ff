using System.Runtime;

namespace CondensaPS.Engine.Native;

/// <summary>
/// Holds off garbage collections while one batch's native calls run. TorchSharp turns numbers into native
/// <see cref="TorchSharp.Scalar"/>s implicitly (the alpha of every tensor addition, <c>tensor * 0.5</c>) and passes only
/// their handles to libtorch, so a collection that any thread starts during the call can finalize a Scalar libtorch is
/// still reading ("Expected false to be true" / "Unknown scalar type" from c10::Scalar). Inside a no-GC region no
/// thread's allocation starts a collection until the region's budget is spent; the collection the region needs at its
/// start runs here, between batches, where no Scalar of ours is in use. Where a region cannot start (another thread
/// holds one, or the runtime refuses the size) the batch runs as before.
/// </summary>
public readonly struct CollectionPause : IDisposable
{
    /// <summary>What a batch may allocate on the managed heap before a collection can happen anyway (far more than one batch allocates).</summary>
    public const long Budget = 64L << 20;

    private readonly bool _started;

    private CollectionPause(bool started) => _started = started;

    /// <summary>Whether this pause holds a no-GC region (false where another one was active or the runtime refused).</summary>
    public bool Holding => _started;

    public static CollectionPause Begin()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return default;
        try
        {
            return new CollectionPause(GC.TryStartNoGCRegion(Budget, disallowFullBlockingGC: true));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            return default;
        }
    }

    public void Dispose()
    {
        if (!_started || GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
        try
        {
            GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // The budget was spent or a collection was induced: the region has already ended.
        }
    }
}
