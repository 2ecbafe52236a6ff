using CondensaPS.Engine.Native;
using Xunit;

namespace CondensaPS.Engine.Tests.Native;

/// <summary>
/// CollectionPause holds off collections for a batch: while it holds, another thread's allocations start none (the
/// threat to TorchSharp's implicit Scalars), and once it ends collections run as before.
/// </summary>
[Collection(nameof(CollectionPauseTests))]
public class CollectionPauseTests
{
    [Fact]
    public void While_a_pause_holds_another_threads_allocations_start_no_collection()
    {
        var stop = false;
        long allocated = 0;
        var noise = new Thread(() =>
        {
            var kept = new List<byte[]>();
            // About 2 MB a second: a few hundred collections' worth of gen0 budget over the test, far below the pause's budget.
            while (!Volatile.Read(ref stop)) { kept.Add(new byte[2000]); Interlocked.Add(ref allocated, 2000); if (kept.Count > 100) kept.Clear(); Thread.Sleep(1); }
        }) { IsBackground = true };
        noise.Start();
        try
        {
            for (int round = 0; round < 5; round++)
            {
                long before;
                int collectionsBefore;
                using (var pause = CollectionPause.Begin())
                {
                    Assert.True(pause.Holding, "the runtime refused the no-GC region");
                    collectionsBefore = GC.CollectionCount(0);
                    before = Interlocked.Read(ref allocated);
                    Thread.Sleep(200);
                    Assert.Equal(collectionsBefore, GC.CollectionCount(0));
                }
                Assert.True(Interlocked.Read(ref allocated) - before > 10_000, "the other thread allocated nothing; the test proves nothing");
            }
            // After the pause, collections happen again.
            int after = GC.CollectionCount(0);
            GC.Collect(0);
            Assert.True(GC.CollectionCount(0) > after);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            noise.Join();
        }
    }

    [Fact]
    public void A_pause_inside_a_pause_holds_nothing_and_ends_nothing()
    {
        using var outer = CollectionPause.Begin();
        Assert.True(outer.Holding);
        using (var inner = CollectionPause.Begin()) Assert.False(inner.Holding);
        Assert.Equal(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
    }
}
