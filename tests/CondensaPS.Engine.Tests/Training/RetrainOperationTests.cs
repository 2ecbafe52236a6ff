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

    private static Dictionary<string, long> Zeros(CompressionModel m) =>
        m.Masks.ToDictionary(kv => kv.Key, kv => kv.Value.numel() - kv.Value.count_nonzero().item<long>());

    [Fact]
    public void Lc_after_a_global_prune_keeps_the_total_count_with_one_threshold_and_ends_inside_the_constraint()
    {
        using var reference = RetrainTestData.LeNet(2);
        using var pruned = Prune(reference, 0.8);
        var zerosBefore = Zeros(pruned);
        using var lc = OperationRunner.Run("retrain", pruned, Settings(("method", "lc"), ("epochs", 2L), ("lc-mu", 0.05), ("seed", 1L)),
            new OperationInputs { TrainingData = RetrainTestData.Train(192) });
        Assert.Equal(0, ZerosUnderMasks(lc));
        var zerosAfter = Zeros(lc);
        Assert.Equal(zerosBefore.Values.Sum(), zerosAfter.Values.Sum());
        Assert.Equal("lc", lc.History[^1].Settings["method"]);
    }

    [Theory]
    [InlineData("global")]
    [InlineData("layer")]
    public void A_C_step_on_the_dense_weights_is_the_prune_the_model_went_through(string scope)
    {
        // Condensa's first C-step (mu = 0) compresses the dense reference with the model's own scheme: for a global
        // magnitude prune that is one threshold over all layers, so theta must be exactly Invoke-Prune's result.
        using var reference = RetrainTestData.LeNet(4);
        using var pruned = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.9).Set("method", "magnitude").Set("scope", scope));
        using var student = pruned.Clone();
        using var lc = new CondensaPS.Engine.Training.LcState(student, 0, 1.5);
        Assert.Equal(scope == "global", lc.GlobalThreshold);
        using (no_grad())
            foreach (var (name, p) in student.NamedParameters()) p.copy_(reference.Parameter(name));
        lc.CStep();
        lc.LoadTheta();
        foreach (var (name, p) in pruned.NamedParameters())
            Assert.True(p.equal(student.Parameter(name)).all().item<bool>(), name);
    }

    [Fact]
    public void Lc_after_a_layer_prune_keeps_each_layers_count()
    {
        using var reference = RetrainTestData.LeNet(2);
        using var pruned = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.8).Set("method", "magnitude").Set("scope", "layer"));
        var zerosBefore = Zeros(pruned);
        using var lc = OperationRunner.Run("retrain", pruned, Settings(("method", "lc"), ("epochs", 2L), ("lc-mu", 0.05), ("seed", 1L), ("lc-start", "compressed")),
            new OperationInputs { TrainingData = RetrainTestData.Train(192) });
        Assert.Equal(0, ZerosUnderMasks(lc));
        Assert.Equal(zerosBefore, Zeros(lc));
    }

    [Fact]
    public void Lc_starts_w_from_the_dense_reference_and_Condensa_schedules_apply()
    {
        using var reference = RetrainTestData.LeNet(3);
        using var pruned = Prune(reference, 0.9);
        var data = RetrainTestData.Train(128);
        var messages = new List<string>();
        var ctx = new OperationContext { Verbose = messages.Add };
        using var fromReference = OperationRunner.Run("retrain", pruned, Settings(("method", "lc"), ("epochs", 1L), ("seed", 1L), ("lr-schedule", "constant")), new OperationInputs { TrainingData = data }, ctx);
        Assert.Contains(messages, m => m.Contains("w starts from the dense reference"));
        using var fromCompressed = OperationRunner.Run("retrain", pruned, Settings(("method", "lc"), ("epochs", 1L), ("seed", 1L), ("lc-start", "compressed")), new OperationInputs { TrainingData = data });
        Assert.False(fromReference.NamedParameters().Zip(fromCompressed.NamedParameters(), (a, b) => a.Tensor.equal(b.Tensor).all().item<bool>()).All(e => e));
        // The rate decays within the L-step: the last batch of 2 runs at 0.01 * 0.01^(1/2).
        var epochs = (List<object?>)fromReference.History[^1].Results["epochs"]!;
        Assert.Equal(0.001, (double)((IReadOnlyDictionary<string, object?>)epochs[0]!)["learning-rate"]!, 9);
        Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", pruned, Settings(("lc-start", "reference")), new OperationInputs { TrainingData = data }));
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
        Assert.DoesNotContain(pruned.History, h => h.Operation == "retrain");
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
        using var trained = OperationRunner.Run("retrain", fresh, Settings(("loss", "cross-entropy"), ("epochs", 2L), ("learning-rate", 0.05), ("lr-schedule", "constant")), new OperationInputs { TrainingData = data });
        watch.Stop();
        Assert.Null(trained.Reference);
        var report = MismatchMeasurer.Measure(fresh, trained, RetrainTestData.Val(300), OperationContext.None);
        Assert.True(report.CompressedAccuracy > 0.5, $"accuracy {report.CompressedAccuracy}");
        Assert.True(watch.Elapsed.TotalSeconds < 20, $"{watch.Elapsed.TotalSeconds} s");
    }

    [Fact]
    public void A_schedule_sets_the_optimizers_rate_each_batch()
    {
        // A step schedule that decays to almost nothing after epoch 1: epoch 2 moves no weight measurably.
        using var reference = RetrainTestData.LeNet(9);
        using var pruned = Prune(reference, 0.5);
        var data = RetrainTestData.Train(128);
        using var one = OperationRunner.Run("retrain", pruned, Settings(("loss", "cross-entropy"), ("epochs", 1L), ("seed", 2L), ("lr-schedule", "constant")), new OperationInputs { TrainingData = data });
        using var two = OperationRunner.Run("retrain", pruned, Settings(("loss", "cross-entropy"), ("epochs", 2L), ("seed", 2L), ("lr-schedule", "step"),
            ("lr-step-epochs", 1.0), ("lr-decay", 1e-9)), new OperationInputs { TrainingData = data });
        using var constant = OperationRunner.Run("retrain", pruned, Settings(("loss", "cross-entropy"), ("epochs", 2L), ("seed", 2L), ("lr-schedule", "constant")), new OperationInputs { TrainingData = data });
        double Largest(CompressionModel a, CompressionModel b) =>
            a.NamedParameters().Zip(b.NamedParameters(), (x, y) => (x.Tensor - y.Tensor).abs().max().item<float>()).Max();
        Assert.True(Largest(one, two) < 1e-6, $"epoch 2 at rate 1e-11 moved a weight by {Largest(one, two)}");
        Assert.True(Largest(one, constant) > 1e-4);
        var epochs = (List<object?>)two.History[^1].Results["epochs"]!;
        Assert.Equal(1e-11, (double)((IReadOnlyDictionary<string, object?>)epochs[1]!)["learning-rate"]!, 15);
    }

    [Fact]
    public void Teacher_inputs_and_disagreement_weights_train_and_keep_the_masks()
    {
        using var reference = RetrainTestData.LeNet(10);
        using var pruned = Prune(reference, 0.8);
        foreach (var kind in new[] { "mixup", "shift", "noise" })
        {
            using var tuned = OperationRunner.Run("retrain", pruned, Settings(("epochs", 1L), ("seed", 1L), ("teacher-inputs", kind), ("disagreement-weight", 2.0)),
                new OperationInputs { TrainingData = RetrainTestData.Train(128) });
            Assert.Equal(0, ZerosUnderMasks(tuned));
            var first = (IReadOnlyDictionary<string, object?>)((List<object?>)tuned.History[^1].Results["epochs"]!)[0]!;
            Assert.True(double.IsFinite((double)first["loss"]!), kind);
        }
        // A loss without a label-free term has nothing to compute on teacher inputs.
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", pruned, Settings(("loss", "cross-entropy"), ("teacher-inputs", "mixup")),
            new OperationInputs { TrainingData = RetrainTestData.Train(64) }));
        Assert.Equal("teacher-inputs", e.Key);
        Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", pruned, Settings(("lr-decay", 0.5)), new OperationInputs { TrainingData = RetrainTestData.Train(64) }));
    }

    [Fact]
    public void Teacher_data_trains_with_the_masks_held_is_recorded_and_bad_teacher_data_is_refused()
    {
        using var reference = RetrainTestData.LeNet(12);
        using var pruned = Prune(reference, 0.8);
        var train = RetrainTestData.Train(64);
        using var tuned = OperationRunner.Run("retrain", pruned, Settings(("epochs", 1L), ("seed", 1L), ("method", "fine-tune")),
            new OperationInputs { TrainingData = train, TeacherData = RetrainTestData.Val(40) });
        Assert.Equal(0, ZerosUnderMasks(tuned));
        var results = tuned.History[^1].Results;
        Assert.Equal(40L, results["teacher-data-count"]);
        Assert.Equal(RetrainTestData.Val(40).Name, results["teacher-data"]);
        var first = (IReadOnlyDictionary<string, object?>)((List<object?>)results["epochs"]!)[0]!;
        Assert.True(double.IsFinite((double)first["loss"]!));

        EngineException Refused(object teacherData, params (string Key, object Value)[] settings) => Assert.Throws<EngineException>(() =>
            OperationRunner.Run("retrain", pruned, Settings(settings), new OperationInputs { TrainingData = train, TeacherData = teacherData }));
        var notData = Refused("digits.idx");
        Assert.Equal(("TeacherDataNotADataset", EngineErrorKind.InvalidArgument), (notData.ErrorId, notData.Kind));
        var noTerm = Refused(RetrainTestData.Val(8), ("loss", "cross-entropy"));
        Assert.Equal(("TeacherDataNeedsTeacherTerm", EngineErrorKind.InvalidArgument), (noTerm.ErrorId, noTerm.Kind));
        Assert.Contains("cross-entropy", noTerm.Message);
        Assert.Equal("DatasetEmpty", Refused(RetrainTestData.Val(8).Take(0)).ErrorId);
        var small = new CondensaPS.Engine.Data.Dataset("small", "test", "Idx", new byte[2 * 14 * 14], new long[2], 1, 14, 14, 10);
        var shape = Refused(small);
        Assert.Equal(("TeacherDataShapeMismatch", EngineErrorKind.InvalidArgument), (shape.ErrorId, shape.Kind));
        Assert.Contains("1x14x14", shape.Message);
        // Labels are never read: teacher data whose labels name more classes than the model has is fine.
        var manyClasses = new CondensaPS.Engine.Data.Dataset("many", "test", "Idx", new byte[2 * 28 * 28], new long[] { 0, 20 }, 1, 28, 28, 21);
        using var unlabelled = OperationRunner.Run("retrain", pruned, Settings(("epochs", 1L), ("seed", 1L), ("method", "fine-tune")),
            new OperationInputs { TrainingData = train, TeacherData = manyClasses });
        Assert.Equal(2L, unlabelled.History[^1].Results["teacher-data-count"]);
    }

    private sealed class SyncProgress : IProgress<OperationProgress>
    {
        private readonly Action<OperationProgress> _action;
        public SyncProgress(Action<OperationProgress> action) => _action = action;
        public void Report(OperationProgress value) => _action(value);
    }
}
