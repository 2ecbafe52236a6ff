using System.Diagnostics;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class RetrainOperationTests
{
    private static CompressionModel Prune(CompressionModel m, double ratio) =>
        OperationRunner.Run("prune", m, new StepSettings("prune").Set("ratio", ratio).Set("method", "magnitude").Set("scope", "global"));

    private static StepSettings Settings(params (string Key, object Value)[] items)
    {
        var s = new StepSettings("retrain");
        foreach (var (k, v) in items) s.Set(k, v);
        return s;
    }

    private static long ZerosUnderMasks(CompressionModel m)
    {
        using var _ = NewDisposeScope();
        long bad = 0;
        foreach (var (name, p) in m.NamedParameters())
            if (m.Masks.TryGetValue(name, out var mask)) bad += p.mul(mask.eq(0)).count_nonzero().item<long>();
        return bad;
    }

    [Fact]
    public void Fine_tune_keeps_pruned_weights_zero_and_records_epochs()
    {
        using var reference = RetrainTestData.LeNet();
        using var pruned = Prune(reference, 0.9);
        long nonZeros = pruned.NonZeros;
        using var tuned = OperationRunner.Run("retrain", pruned, Settings(("epochs", 2L), ("batch-size", 64L), ("seed", 3L)),
            new OperationInputs { TrainingData = RetrainTestData.Train(), ValidationData = RetrainTestData.Val() });
        Assert.Equal(0, ZerosUnderMasks(tuned));
        Assert.True(tuned.NonZeros <= nonZeros);
        Assert.Same(reference, tuned.Reference);
        var step = tuned.History[^1];
        Assert.Equal("retrain", step.Operation);
        var epochs = (List<object?>)step.Results["epochs"]!;
        Assert.Equal(2, epochs.Count);
        var first = (IReadOnlyDictionary<string, object?>)epochs[0]!;
        Assert.True(first.ContainsKey("agreement") && first.ContainsKey("accuracy") && first.ContainsKey("weights") && first.ContainsKey("loss"));
        var weights = (IReadOnlyDictionary<string, object?>)first["weights"]!;
        Assert.Equal(new[] { "cross-entropy", "distillation", "teacher-label" }, weights.Keys);
        Assert.False(tuned.Module.training);
    }

    [Fact]
    public void Lc_ends_inside_the_constraint_with_the_same_per_layer_sparsity()
    {
        using var reference = RetrainTestData.LeNet(2);
        using var pruned = Prune(reference, 0.8);
        var zerosBefore = pruned.Masks.ToDictionary(kv => kv.Key, kv => kv.Value.numel() - kv.Value.count_nonzero().item<long>());
        using var lc = OperationRunner.Run("retrain", pruned, Settings(("method", "lc"), ("epochs", 2L), ("lc-mu", 0.05), ("seed", 1L)),
            new OperationInputs { TrainingData = RetrainTestData.Train(192) });
        Assert.Equal(0, ZerosUnderMasks(lc));
        foreach (var (name, mask) in lc.Masks)
        {
            long zeros = mask.numel() - mask.count_nonzero().item<long>();
            Assert.Equal(zerosBefore[name], zeros);
            Assert.True(lc.Parameter(name).count_nonzero().item<long>() <= mask.numel() - zeros);
        }
        Assert.Equal("lc", lc.History[^1].Settings["method"]);
    }

    [Fact]
    public void Lc_keeps_int8_weights_on_their_quantization_grid()
    {
        using var reference = RetrainTestData.LeNet(4);
        using var pruned = Prune(reference, 0.5);
        using var q = OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", "int8"));
        using var lc = OperationRunner.Run("retrain", q, Settings(("method", "lc"), ("epochs", 1L), ("seed", 1L)), new OperationInputs { TrainingData = RetrainTestData.Train(128) });
        using var tuned = OperationRunner.Run("retrain", q, Settings(("epochs", 1L), ("seed", 1L)), new OperationInputs { TrainingData = RetrainTestData.Train(128) });
        foreach (var model in new[] { lc, tuned })
        {
            Assert.Equal(0, ZerosUnderMasks(model));
            foreach (var (name, state) in model.Quantization)
            {
                using var _ = NewDisposeScope();
                var w = model.Parameter(name);
                var scale = state.Scale!.dim() == 0 ? state.Scale : state.Scale.reshape(-1, 1, 1, 1).narrow(0, 0, w.shape[0]);
                if (w.dim() == 2 && state.Scale.dim() == 1) scale = state.Scale.reshape(-1, 1);
                var levels = w / scale;
                Assert.True((levels - levels.round()).abs().max().item<float>() < 1e-3, name);
            }
        }
    }

    [Fact]
    public void Cancelling_in_progress_stops_at_a_batch_and_leaves_the_input_untouched()
    {
        using var reference = RetrainTestData.LeNet(5);
        using var pruned = Prune(reference, 0.5);
        var before = pruned.NamedParameters().Select(p => p.Tensor.clone()).ToList();
        using var cts = new CancellationTokenSource();
        var ctx = new OperationContext { Cancellation = cts.Token, Progress = new SyncProgress(p => { if (p.Status.Contains("batch")) cts.Cancel(); }) };
        Assert.ThrowsAny<OperationCanceledException>(() =>
            OperationRunner.Run("retrain", pruned, Settings(("epochs", 3L), ("batch-size", 8L)), new OperationInputs { TrainingData = RetrainTestData.Train(512) }, ctx));
        var after = pruned.NamedParameters().Select(p => p.Tensor).ToList();
        for (int i = 0; i < before.Count; i++) Assert.True(before[i].equal(after[i]).all().item<bool>());
        Assert.Empty(pruned.History.Where(h => h.Operation == "retrain"));
        Assert.False(pruned.IsDisposed);
    }

    [Fact]
    public void A_huge_learning_rate_stops_with_LossNotFinite_naming_epoch_and_batch()
    {
        using var reference = RetrainTestData.LeNet(6);
        using var pruned = Prune(reference, 0.5);
        var e = Assert.Throws<EngineException>(() =>
            OperationRunner.Run("retrain", pruned, Settings(("learning-rate", 1e30), ("loss", "cross-entropy")), new OperationInputs { TrainingData = RetrainTestData.Train(256) }));
        Assert.Equal("LossNotFinite", e.ErrorId);
        Assert.Matches(@"epoch 1, batch \d+", e.Message);
    }

    [Fact]
    public void Missing_data_reference_and_bad_settings_are_clear_errors()
    {
        using var fresh = RetrainTestData.LeNet(7);
        Assert.Equal("TrainingDataRequired", Assert.Throws<EngineException>(() => OperationRunner.Run("retrain", fresh, Settings())).ErrorId);
        Assert.Equal("ReferenceRequired", Assert.Throws<EngineException>(() =>
            OperationRunner.Run("retrain", fresh, Settings(), new OperationInputs { TrainingData = RetrainTestData.Train(64) })).ErrorId);
        Assert.Equal("InvalidStepSetting", Assert.Throws<StepSettingException>(() =>
            OperationRunner.Run("retrain", fresh, Settings(("loss", "distillation,teacher-label"), ("loss-weights", "1")))).ErrorId);
        Assert.Equal("InvalidStepSetting", Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", fresh, Settings(("lc-mu", 1.0)))).ErrorId);
    }

    [Fact]
    public void Training_a_reference_with_cross_entropy_needs_no_teacher_and_learns()
    {
        using var fresh = RetrainTestData.LeNet(8);
        var data = RetrainTestData.Train(1024);
        var watch = Stopwatch.StartNew();
        using var trained = OperationRunner.Run("retrain", fresh, Settings(("loss", "cross-entropy"), ("epochs", 2L), ("learning-rate", 0.05)), new OperationInputs { TrainingData = data });
        watch.Stop();
        Assert.Null(trained.Reference);
        var report = MismatchMeasurer.Measure(fresh, trained, RetrainTestData.Val(300), OperationContext.None);
        Assert.True(report.CompressedAccuracy > 0.5, $"accuracy {report.CompressedAccuracy}");
        Assert.True(watch.Elapsed.TotalSeconds < 20, $"{watch.Elapsed.TotalSeconds} s");
    }

    private sealed class SyncProgress : IProgress<OperationProgress>
    {
        private readonly Action<OperationProgress> _action;
        public SyncProgress(Action<OperationProgress> action) => _action = action;
        public void Report(OperationProgress value) => _action(value);
    }
}
