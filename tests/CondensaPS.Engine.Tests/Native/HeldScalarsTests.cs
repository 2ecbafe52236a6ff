using CondensaPS.Engine.Native;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests;

/// <summary>
/// HeldScalars against the fault it exists for: while another thread allocates (so garbage collections start at any
/// moment, also during a native call), tensor-and-number arithmetic through HeldScalars gives the right values every
/// time. (The same loop with TorchSharp's implicit conversions, `t * 0.5`, failed 2-3 times per 10 seconds here with
/// "Expected false to be true" from c10::Scalar: its Scalar was finalized mid-call.)
/// </summary>
public class HeldScalarsTests
{
    [Fact]
    public void Arithmetic_with_held_scalars_is_right_while_another_thread_forces_collections()
    {
        TorchRuntime.EnsureInitialized();
        var stop = false;
        var noise = new Thread(() =>
        {
            var kept = new List<byte[]>();
            while (!Volatile.Read(ref stop)) { kept.Add(new byte[1000]); if (kept.Count > 1000) kept.Clear(); }
        }) { IsBackground = true };
        noise.Start();
        int collectionsBefore = GC.CollectionCount(0);
        long checkedOps = 0;
        try
        {
            using var x = full(new long[] { 64 }, 3.0f);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (watch.Elapsed.TotalSeconds < 1.5)
            {
                using var scope = NewDisposeScope();
                for (int i = 0; i < 200; i++)
                {
                    Assert.Equal(1.5f, x.Times(0.5)[0].item<float>());
                    Assert.Equal(3.5f, x.Plus(0.5)[0].item<float>());
                    Assert.Equal(6f, x.Over(0.5)[0].item<float>());
                    Assert.Equal(-2f, x.SubtractedFrom(1)[0].item<float>());
                    Assert.Equal(9f, x.Power(2)[0].item<float>());
                    Assert.True(x.GreaterThan(2.5)[0].item<bool>());
                    Assert.Equal(7f, x.TimesPlus(2, 1)[0].item<float>());
                    checkedOps += 7;
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            noise.Join();
        }
        Assert.True(checkedOps > 10_000, $"only {checkedOps} operations checked");
        Assert.True(GC.CollectionCount(0) - collectionsBefore > 10, "the noise thread did not force collections; the test proves nothing");
    }
}
