using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Training;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class GradualPruningTests
{
    public GradualPruningTests() => TorchRuntime.EnsureInitialized();

    private static CompressionModel Prune(CompressionModel m, double ratio, string scope = "global") =>
        OperationRunner.Run("prune", m, new StepSettings("prune").Set("ratio", ratio).Set("scope", scope));

    /// <summary>A copy of <paramref name="pruned"/> with the dense weights of <paramref name="reference"/>, as a gradual retrain starts it.</summary>
    private static CompressionModel DenseStudent(CompressionModel reference, CompressionModel pruned)
    {
        var student = pruned.Clone();
        reference.CopyStateInto(student);
        return student;
    }

    /// <summary>The masked parameters of <paramref name="model"/>, in its parameter order.</summary>
    private static List<(string Name, Tensor Tensor)> MaskedParameters(CompressionModel model) =>
        model.NamedParameters().Where(p => model.Masks.ContainsKey(p.Name)).Select(p => (p.Name, (Tensor)p.Tensor)).ToList();

    /// <summary>One batch whose loss sum(w * c) has the gradient c, observed by each of <paramref name="observers"/>.</summary>
    private static void ObserveGradient(IReadOnlyList<Tensor> masked, IReadOnlyList<Tensor> c, params Action[] observers)
    {
        masked.Select((w, i) => (w * c[i]).sum()).Aggregate((x, y) => x + y).backward();
        foreach (var observe in observers) observe();
        foreach (var w in masked) w.grad!.zero_();
    }

    /// <summary>
    /// The student's masks keep exactly the weights scored above the k-th lowest of <paramref name="scores"/> (flat, in
    /// masked-parameter order), k the pruned model's count of zeros, and every pruned weight is zero.
    /// </summary>
    private static void AssertKeepsTheHighestScores(CompressionModel student, CompressionModel pruned, IReadOnlyList<Tensor> scores)
    {
        long zeros = MaskZeros(pruned);
        var threshold = cat(scores.ToList(), 0).kthvalue(zeros, 0).values.item<float>();
        var named = MaskedParameters(student);
        for (int i = 0; i < named.Count; i++)
        {
            var expectedKeep = scores[i].gt(threshold).reshape(named[i].Tensor.shape);
            Assert.True(student.Masks[named[i].Name].to(ScalarType.Bool).eq(expectedKeep).all().item<bool>(), named[i].Name);
        }
        Assert.Equal(zeros, MaskZeros(student));
        Assert.Equal(0, WeightZerosUnderMasks(student));
    }

    private static long MaskZeros(CompressionModel m)
    {
        using var _ = NewDisposeScope();
        return m.Masks.Values.Sum(mask => mask.numel() - mask.count_nonzero().item<long>());
    }

    private static long WeightZerosUnderMasks(CompressionModel m)
    {
        using var _ = NewDisposeScope();
        return m.Masks.Sum(kv => m.NamedParameters().Single(p => p.Name == kv.Key).Tensor.mul(kv.Value.eq(0)).count_nonzero().item<long>());
    }

    [Theory]
    [InlineData(0, 10, 0.0)]
    [InlineData(10, 10, 1.0)]
    [InlineData(5, 10, 0.875)]   // 1 - 0.5^3
    [InlineData(1, 4, 0.578125)] // 1 - 0.75^3
    [InlineData(3, 4, 0.984375)] // 1 - 0.25^3
    public void The_share_pruned_follows_Zhu_and_Guptas_cubic(int k, int steps, double expected) =>
        Assert.Equal(expected, GradualPruning.Fraction(k, steps), 12);

    [Fact]
    public void Prune_points_fall_evenly_over_the_ramp_and_the_masks_close_to_the_final_count()
    {
        using var reference = RetrainTestData.LeNet(5);
        using var pruned = Prune(reference, 0.9);
        long finalZeros = MaskZeros(pruned);
        using var student = DenseStudent(reference, pruned);
        var gradual = new GradualPruning(student, rampEpochs: 2, steps: 4);
        Assert.True(gradual.GlobalThreshold);
        Assert.Equal(0, MaskZeros(student));
        // 10 batches an epoch: points at 0.5, 1, 1.5 and 2 epochs, i.e. before batch 5 of epoch 1, batch 0 of epoch
        // 2, batch 5 of epoch 2 and batch 0 of epoch 3.
        var pruneBatches = new List<(int Epoch, int Batch, long Zeros)>();
        for (int epoch = 1; epoch <= 3; epoch++)
            for (int b = 0; b < 10; b++)
                if (gradual.Advance(epoch, b, 10)) pruneBatches.Add((epoch, b, MaskZeros(student)));
        Assert.Equal(new[] { (1, 5), (2, 0), (2, 5), (3, 0) }, pruneBatches.Select(p => (p.Epoch, p.Batch)));
        var expected = new[] { 1, 2, 3, 4 }.Select(k => (long)Math.Round(GradualPruning.Fraction(k, 4) * finalZeros)).ToArray();
        Assert.Equal(expected, pruneBatches.Select(p => p.Zeros));
        Assert.True(gradual.Finished);
        Assert.Equal(finalZeros, MaskZeros(student));
        Assert.Equal(0, WeightZerosUnderMasks(student));
        // Unchanged weights: the global magnitude selection is the one the prune step made.
        using var __ = NewDisposeScope();
        foreach (var (name, mask) in pruned.Masks) Assert.True(mask.eq(student.Masks[name]).all().item<bool>(), name);
    }

    [Fact]
    public void A_layer_by_layer_prune_is_followed_layer_by_layer()
    {
        using var reference = RetrainTestData.LeNet(6);
        using var pruned = Prune(reference, 0.8, "layer");
        using var student = DenseStudent(reference, pruned);
        var gradual = new GradualPruning(student, rampEpochs: 1, steps: 2);
        Assert.False(gradual.GlobalThreshold);
        gradual.PruneTo(1);
        AssertSameZerosPerLayer(pruned, student);
    }

    [Fact]
    public void The_retrain_method_starts_dense_ends_at_the_models_sparsity_and_keeps_only_final_epochs()
    {
        using var reference = RetrainTestData.LeNet(7);
        using var pruned = Prune(reference, 0.9);
        var messages = new List<string>();
        var context = new OperationContext { Verbose = messages.Add };
        var settings = new StepSettings("retrain").Set("loss", "cross-entropy").Set("method", "gradual").Set("epochs", 3L).Set("gradual-epochs", 1.5)
            .Set("gradual-steps", 3L).Set("seed", 1L).Set("lr-schedule", "constant");
        using var tuned = OperationRunner.Run("retrain", pruned, settings, new OperationInputs { TrainingData = RetrainTestData.Train(128), ValidationData = RetrainTestData.Val(64) }, context);
        Assert.Contains(messages, m => m.Contains("Gradual pruning starts from the dense reference"));
        Assert.Equal(3, messages.Count(m => m.StartsWith("Gradual pruning: point", StringComparison.Ordinal)));
        Assert.Equal(MaskZeros(pruned), MaskZeros(tuned));
        Assert.Equal(0, WeightZerosUnderMasks(tuned));
        Assert.Equal(pruned.NonZeros, tuned.NonZeros);
        // Epoch 1 ends before the last point (1.5 epochs): it cannot be the one kept.
        Assert.NotEqual(1L, (long)tuned.History[^1].Results["best-epoch"]!);
    }

    [Fact]
    public void Bad_gradual_settings_are_clear_errors()
    {
        using var reference = RetrainTestData.LeNet(8);
        using var pruned = Prune(reference, 0.5);
        var inputs = new OperationInputs { TrainingData = RetrainTestData.Train(64) };
        StepSettingException Bad(StepSettings s) => Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", pruned, s, inputs));
        Assert.Equal("gradual-epochs", Bad(new StepSettings("retrain").Set("method", "fine-tune").Set("gradual-epochs", 2.0)).Key);
        Assert.Equal("gradual-steps", Bad(new StepSettings("retrain").Set("method", "lc").Set("gradual-steps", 2L)).Key);
        Assert.Equal("gradual-epochs", Bad(new StepSettings("retrain").Set("method", "gradual").Set("epochs", 4L).Set("gradual-epochs", 4.0)).Key);
        Assert.Equal("epochs", Bad(new StepSettings("retrain").Set("method", "gradual").Set("epochs", 1L)).Key);
        var e = Assert.Throws<EngineException>(() => OperationRunner.Run("retrain", reference, new StepSettings("retrain").Set("method", "gradual").Set("loss", "cross-entropy"), inputs));
        Assert.Equal("GradualNeedsPrunedModel", e.ErrorId);
    }

    [Fact]
    public void Auto_prunes_gradually_where_it_can_and_fine_tunes_elsewhere()
    {
        using var reference = RetrainTestData.LeNet(9);
        using var pruned = Prune(reference, 0.8);
        var inputs = new OperationInputs { TrainingData = RetrainTestData.Train(64) };
        (string Method, List<string> Log) Run(CompressionModel m, long epochs)
        {
            var log = new List<string>();
            using var t = OperationRunner.Run("retrain", m, new StepSettings("retrain").Set("epochs", epochs).Set("seed", 1L), inputs, new OperationContext { Verbose = log.Add });
            Assert.Equal("auto", RetrainOptions.From(new StepSettings("retrain")).Method.ToString().ToLowerInvariant());
            return ((string)t.History[^1].Results["method"]!, log);
        }
        var (method, log) = Run(pruned, 2);
        Assert.Equal("gradual", method);
        Assert.Contains(log, l => l.StartsWith("Method auto: gradual pruning from the reference", StringComparison.Ordinal));
        (method, log) = Run(pruned, 1);
        Assert.Equal("fine-tune", method);
        Assert.Contains("Method auto: fine-tuning with the masks held, because the budget is one epoch (gradual pruning needs its ramp and then recovery).", log);
        using var filters = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.5).Set("method", "filter"));
        (method, log) = Run(filters, 2);
        Assert.Equal("fine-tune", method);
        Assert.Contains("Method auto: fine-tuning with the masks held, because its masks were made by filter pruning.", log);
        var ce = new List<string>();
        using var baseline = OperationRunner.Run("retrain", pruned, new StepSettings("retrain").Set("epochs", 2L).Set("loss", "cross-entropy"), inputs, new OperationContext { Verbose = ce.Add });
        Assert.Equal("fine-tune", (string)baseline.History[^1].Results["method"]!);
        Assert.Contains("Method auto: fine-tuning with the masks held, because the loss reads no reference.", ce);
    }

    [Fact]
    public void Why_not_names_each_reason_in_turn()
    {
        using var reference = RetrainTestData.LeNet(10);
        using var pruned = Prune(reference, 0.8);
        Assert.Null(GradualPruning.WhyNot(pruned, reference, 2));
        Assert.Equal("the budget is one epoch (gradual pruning needs its ramp and then recovery)", GradualPruning.WhyNot(pruned, reference, 1));
        Assert.Equal($"model '{pruned.Name}' has no reference to start from", GradualPruning.WhyNot(pruned, null, 2));
        Assert.Equal($"model '{reference.Name}' has no masks", GradualPruning.WhyNot(reference, reference, 2));
        var spec = CondensaPS.Engine.Architectures.ArchitectureRegistry.CreateSpec("mlp");
        using var other = CompressionModel.FromBuiltIn(CondensaPS.Engine.Architectures.ArchitectureRegistry.Build(spec), spec, "mlp", "other", CPU);
        Assert.Equal($"reference '{other.Name}' does not have model '{pruned.Name}''s parameter names and shapes", GradualPruning.WhyNot(pruned, other, 2));
        using var quantized = OperationRunner.Run("quantize", pruned, new StepSettings("quantize").Set("type", "int8"));
        Assert.Equal($"model '{quantized.Name}' is quantized", GradualPruning.WhyNot(quantized, reference, 2));
    }

    [Fact]
    public void A_later_stage_of_prune_retrain_prune_goes_on_from_the_retrained_weights()
    {
        using var reference = RetrainTestData.LeNet(12);
        var inputs = new OperationInputs { TrainingData = RetrainTestData.Train(64) };
        // The reference's own training is shared history: it does not count.
        using var trained = OperationRunner.Run("retrain", reference, new StepSettings("retrain").Set("epochs", 1L).Set("loss", "cross-entropy"), inputs);
        using var stage1 = Prune(trained, 0.5);
        Assert.False(GradualPruning.RetrainedAfterAPrune(stage1, trained));
        Assert.Null(GradualPruning.WhyNot(stage1, trained, 2));
        using var recovered = OperationRunner.Run("retrain", stage1, new StepSettings("retrain").Set("epochs", 1L).Set("loss", "cross-entropy"), inputs);
        using var stage2 = Prune(recovered, 0.8);
        Assert.True(GradualPruning.RetrainedAfterAPrune(stage2, trained));
        Assert.Equal($"model '{stage2.Name}' was retrained after an earlier prune step (starting again from the dense reference would throw that training away)",
            GradualPruning.WhyNot(stage2, trained, 2));
        // Pruned twice with no retrain between: still one gradual ramp from the reference.
        using var twice = Prune(stage1, 0.8);
        Assert.Null(GradualPruning.WhyNot(twice, trained, 2));
    }

    [Fact]
    public void Explicit_gradual_on_structured_masks_is_refused_and_a_layer_cap_is_kept_layer_by_layer()
    {
        using var reference = RetrainTestData.LeNet(11);
        using var filters = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.5).Set("method", "filter"));
        var inputs = new OperationInputs { TrainingData = RetrainTestData.Train(64) };
        var e = Assert.Throws<EngineException>(() => OperationRunner.Run("retrain", filters, new StepSettings("retrain").Set("method", "gradual").Set("epochs", 2L), inputs));
        Assert.Equal("GradualNeedsMagnitudePruning", e.ErrorId);
        Assert.Contains("its masks were made by filter pruning", e.Message);
        using var capped = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.9).Set("max-layer-sparsity", 0.95));
        using var student = DenseStudent(reference, capped);
        var gradual = new GradualPruning(student, rampEpochs: 1, steps: 1);
        Assert.False(gradual.GlobalThreshold);
        gradual.PruneTo(1);
        AssertSameZerosPerLayer(capped, student);
    }

    [Fact]
    public void Fisher_scores_keep_the_weights_the_loss_leans_on_with_a_running_mean_of_squared_gradients()
    {
        using var scope = NewDisposeScope();
        using var reference = RetrainTestData.LeNet(7);
        using var pruned = Prune(reference, 0.9);
        using var student = DenseStudent(reference, pruned);
        using var gradual = new GradualPruning(student, rampEpochs: 1, steps: 1, GradualScore.Fisher);
        var masked = MaskedParameters(student).Select(p => p.Tensor).ToList();
        using var generator = new Generator(5);
        var a = masked.Select(w => randn(w.shape, generator: generator).abs() + 0.01).ToList();
        var c1 = masked.Select(w => randn(w.shape, generator: generator)).ToList();
        var c2 = masked.Select(w => randn(w.shape, generator: generator)).ToList();
        using (no_grad()) for (int i = 0; i < masked.Count; i++) masked[i].copy_(a[i]);
        // Two batches whose gradients are c1 and c2: F = 0.01 (0.99 c1^2 + c2^2).
        foreach (var c in new[] { c1, c2 }) ObserveGradient(masked, c, gradual.ObserveGradients);
        gradual.PruneTo(1);
        // Expected by hand: the same count of zeros as the prune step, the lowest a^2 (0.99 c1^2 + c2^2) over all layers.
        var scores = a.Select((x, i) => (x * x * (c1[i] * c1[i] * 0.99 + c2[i] * c2[i])).reshape(-1)).ToList();
        AssertKeepsTheHighestScores(student, pruned, scores);
        long zeros = MaskZeros(pruned);
        // Not what magnitude would keep: the weights are a, whose largest do not all survive.
        var magnitudeKeep = cat(a.Select(x => x.reshape(-1)).ToList(), 0).gt(cat(a.Select(x => x.reshape(-1)).ToList(), 0).kthvalue(zeros, 0).values);
        var fisherKeep = cat(student.Masks.Values.Select(m => m.reshape(-1).to(ScalarType.Bool)).ToList(), 0);
        Assert.False(magnitudeKeep.eq(fisherKeep).all().item<bool>());
    }

    [Fact]
    public void Obs_prunes_the_lowest_OBS_scores_to_the_exact_count_and_moves_the_kept_weights()
    {
        using var scope = NewDisposeScope();
        using var reference = RetrainTestData.LeNet(9);
        using var pruned = Prune(reference, 0.9);
        using var student = DenseStudent(reference, pruned);
        using var gradual = new GradualPruning(student, rampEpochs: 1, steps: 1, GradualScore.Obs);
        var named = MaskedParameters(student);
        var masked = named.Select(p => p.Tensor).ToList();
        // A second estimate over the same gradients (BlockFisherTests checks it by hand) gives the expected scores.
        using var expectedFisher = new BlockFisher(masked);
        using var generator = new Generator(11);
        foreach (var _ in Enumerable.Range(0, 3))
            ObserveGradient(masked, masked.Select(w => randn(w.shape, generator: generator)).ToList(), gradual.ObserveGradients, expectedFisher.Observe);
        var before = masked.Select(w => w.detach().clone()).ToList();
        // Expected by hand from BlockFisher's own pieces: the lowest w^2 / [F^-1]_qq over all layers.
        List<Tensor> scores;
        using (no_grad()) scores = masked.Select((w, i) => BlockFisher.Scores(w, expectedFisher.Blocks(i)).reshape(-1)).ToList();
        gradual.PruneTo(1);
        AssertKeepsTheHighestScores(student, pruned, scores);
        // The kept weights were moved to make up for the pruned ones (not just masked).
        Assert.Contains(masked.Select((w, i) => w.sub(before[i].mul(student.Masks[named[i].Name])).abs().max().item<float>()), d => d > 1e-6);
    }

    [Fact]
    public void The_label_preserving_preset_prunes_by_Fisher_score_other_losses_by_magnitude()
    {
        Assert.Equal(GradualScore.Fisher, RetrainOptions.From(new StepSettings("retrain")).GradualScore);
        Assert.Equal(GradualScore.Magnitude, RetrainOptions.From(new StepSettings("retrain").Set("loss", "distillation")).GradualScore);
        Assert.Equal(GradualScore.Magnitude, RetrainOptions.From(new StepSettings("retrain").Set("gradual-score", "magnitude")).GradualScore);
    }

    [Fact]
    public void Fisher_masks_only_close_and_the_setting_needs_gradual_pruning()
    {
        using var reference = RetrainTestData.LeNet(8);
        using var pruned = Prune(reference, 0.8);
        using var tuned = OperationRunner.Run("retrain", pruned, new StepSettings("retrain").Set("method", "gradual").Set("gradual-score", "fisher").Set("epochs", 2L).Set("seed", 1L),
            new OperationInputs { TrainingData = RetrainTestData.Train(128) });
        Assert.Equal(MaskZeros(pruned), MaskZeros(tuned));
        Assert.Equal(0, WeightZerosUnderMasks(tuned));
        Assert.Equal("fisher", tuned.History[^1].Settings["gradual-score"]?.ToString()?.ToLowerInvariant());
        var e = Assert.Throws<StepSettingException>(() => OperationRunner.Run("retrain", pruned,
            new StepSettings("retrain").Set("method", "fine-tune").Set("gradual-score", "fisher"), new OperationInputs { TrainingData = RetrainTestData.Train(64) }));
        Assert.Equal("gradual-score", e.Key);

        // A weight pruned at one point stays pruned at the next, though its Fisher score could have grown.
        using var student = DenseStudent(reference, pruned);
        using var gradual = new GradualPruning(student, rampEpochs: 1, steps: 2, GradualScore.Fisher);
        var masked = MaskedParameters(student).Select(p => p.Tensor).ToList();
        masked.Select(w => w.pow(2).sum()).Aggregate((x, y) => x + y).backward();
        gradual.ObserveGradients();
        gradual.PruneTo(GradualPruning.Fraction(1, 2));
        var before = student.Masks.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        foreach (var w in masked) w.grad!.fill_(100);
        gradual.ObserveGradients();
        gradual.PruneTo(1);
        foreach (var (name, mask) in student.Masks) Assert.True(mask.le(before[name]).all().item<bool>(), name);
        foreach (var m in before.Values) m.Dispose();
    }

    /// <summary>Every masked layer of <paramref name="student"/> has as many zeros as the same layer of <paramref name="expected"/>.</summary>
    private static void AssertSameZerosPerLayer(CompressionModel expected, CompressionModel student)
    {
        using var _ = NewDisposeScope();
        foreach (var (name, mask) in expected.Masks)
            Assert.Equal(mask.numel() - mask.count_nonzero().item<long>(), student.Masks[name].numel() - student.Masks[name].count_nonzero().item<long>());
    }
}
