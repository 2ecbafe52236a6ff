using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Training;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

/// <summary>Long-tail-aware retraining: samples weighted by 1 + long-tail-weight x max(0, score).</summary>
public class LongTailRetrainTests
{
    [Fact]
    public void Weights_are_one_plus_the_weight_times_the_positive_score()
    {
        Assert.Equal(new[] { 2f, 1f, 1f, 3f }, LongTailWeights.Of(new[] { 0.5, -0.2, double.NaN, 1.0 }, 2));
        Assert.Equal(new[] { 1f, 1f }, LongTailWeights.Of(new[] { 0.5, 0.9 }, 0));
        // A negative weight makes the long tail weigh less: 1 - 0.8 x 0.5 = 0.6, 1 - 0.8 x 1 = 0.2.
        var less = LongTailWeights.Of(new[] { 0.5, 1.0, double.NaN, -0.3 }, -0.8);
        Assert.Equal(new[] { 0.6f, 0.2f, 1f, 1f }, less.Select(w => MathF.Round(w, 6)).ToArray());
    }

    [Fact]
    public void A_long_tail_weight_must_keep_every_sample_positive()
    {
        StepSettings With(double weight) => new StepSettings("retrain").Set(RetrainOptions.Key.ExampleScores, new List<object?> { 0.1, 1.0 }).Set(RetrainOptions.Key.LongTailWeight, weight);
        Assert.Equal(-0.5, RetrainOptions.From(With(-0.5)).LongTailWeight);
        foreach (var weight in new[] { -1.0, -3.0 })
        {
            var e = Assert.Throws<StepSettingException>(() => RetrainOptions.From(With(weight)));
            Assert.Equal(RetrainOptions.Key.LongTailWeight, e.Key);
            Assert.Equal(weight, e.Target);
        }
    }

    [Fact]
    public void Long_tail_settings_need_example_scores()
    {
        var e = Assert.Throws<StepSettingException>(() => RetrainOptions.From(new StepSettings("retrain").Set(RetrainOptions.Key.LongTailWeight, 2.0)));
        Assert.Equal(RetrainOptions.Key.LongTailWeight, e.Key);
        var name = Assert.Throws<StepSettingException>(() => RetrainOptions.From(new StepSettings("retrain")
            .Set(RetrainOptions.Key.ExampleScores, new List<object?> { 0.1, 0.2 }).Set(RetrainOptions.Key.ExampleScoreName, "memorization")));
        Assert.Equal(RetrainOptions.Key.ExampleScoreName, name.Key);
        var file = RetrainOptions.From(new StepSettings("retrain").Set(RetrainOptions.Key.ExampleScores, "/x/memorization.json"));
        Assert.Equal(("/x/memorization.json", RetrainOptions.DefaultLongTailWeight), (file.ExampleScoresFile, file.LongTailWeight));
        var list = RetrainOptions.From(new StepSettings("retrain").Set(RetrainOptions.Key.ExampleScores, new List<object?> { 0.1, 0.2 }).Set(RetrainOptions.Key.LongTailWeight, 5.0));
        Assert.Equal(new[] { 0.1, 0.2 }, list.ExampleScoreValues);
        Assert.Equal(5.0, list.LongTailWeight);
    }

    private static float[] Retrain(StepSettings settings, int count)
    {
        using var model = RetrainTestData.LeNet(2);
        using var trained = OperationRunner.Run("retrain", model, settings.Set("loss", "cross-entropy").Set("epochs", 1L).Set("seed", 5L).Set("lr-schedule", "constant"),
            new OperationInputs { TrainingData = RetrainTestData.Train(count) });
        using var _ = NewDisposeScope();
        return trained.NamedParameters().SelectMany(p => p.Tensor.detach().cpu().flatten().data<float>().ToArray()).ToArray();
    }

    [Fact]
    public void Equal_weights_train_as_without_and_long_tail_weights_change_the_model()
    {
        const int n = 96;
        var plain = Retrain(new StepSettings("retrain"), n);
        var zeros = Retrain(new StepSettings("retrain").Set(RetrainOptions.Key.ExampleScores, Enumerable.Repeat((object?)0.0, n).ToList()), n);
        Assert.Equal(plain.Length, zeros.Length);
        Assert.All(plain.Zip(zeros), p => Assert.Equal(p.First, p.Second, 4));
        var tail = Enumerable.Range(0, n).Select(i => (object?)(i % 4 == 0 ? 1.0 : 0.0)).ToList();
        var weighted = Retrain(new StepSettings("retrain").Set(RetrainOptions.Key.ExampleScores, tail).Set(RetrainOptions.Key.LongTailWeight, 5.0), n);
        Assert.True(plain.Zip(weighted).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public void A_retrain_records_the_weighting_and_refuses_scores_of_other_data()
    {
        using var model = RetrainTestData.LeNet(2);
        var list = Enumerable.Range(0, 32).Select(i => (object?)(i < 8 ? 0.5 : 0.0)).ToList();
        using var trained = OperationRunner.Run("retrain", model, new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", 1L)
            .Set(RetrainOptions.Key.ExampleScores, list), new OperationInputs { TrainingData = RetrainTestData.Train(32) });
        var results = trained.History[^1].Results;
        Assert.Equal(8L, results["long-tail-weighted"]);
        Assert.Equal((24 + 8 * 2.0) / 32, (double)results["long-tail-mean-weight"]!, 6);

        var e = Assert.Throws<EngineException>(() => OperationRunner.Run("retrain", model, new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", 1L)
            .Set(RetrainOptions.Key.ExampleScores, list.Take(31).ToList()), new OperationInputs { TrainingData = RetrainTestData.Train(32) }));
        Assert.Equal("ScoreCountMismatch", e.ErrorId);

        var folder = TestPaths.NewTempFolder();
        var other = RetrainTestData.Val(32);
        MemorizationFile.Write(new MemorizationResult
        {
            TrainingData = other.Name, TrainingFingerprint = other.Fingerprint,
            Training = Enumerable.Range(0, 32).Select(i => new MemorizationScore { Index = i, Memorization = 0.5 }).ToArray(),
        }, Path.Combine(folder, MemorizationFile.FileName), overwrite: false);
        var mismatch = Assert.Throws<EngineException>(() => OperationRunner.Run("retrain", model, new StepSettings("retrain").Set("loss", "cross-entropy").Set("epochs", 1L)
            .Set(RetrainOptions.Key.ExampleScores, folder), new OperationInputs { TrainingData = RetrainTestData.Train(32) }));
        Assert.Equal("ScoreDataMismatch", mismatch.ErrorId);
    }
}
