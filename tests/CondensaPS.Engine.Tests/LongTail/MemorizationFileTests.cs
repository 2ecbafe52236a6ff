using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;

namespace CondensaPS.Engine.Tests.LongTail;

/// <summary>The scores file other cmdlets read, and how scores are matched to a data set.</summary>
public class MemorizationFileTests
{
    private static MemorizationResult Sample(string? testFingerprint = "t-print") => new()
    {
        Architecture = "lenet5",
        Model = "m",
        SubsetCount = 4,
        SubsetRatio = 0.7,
        Seed = 3,
        Initialization = "fresh",
        TopInfluences = 2,
        Recipe = new OrderedSettings { { "loss", "cross-entropy" }, { "epochs", 12L }, { "learning-rate", 0.05 } },
        ModelsUsed = 3,
        FailedModels = new[] { new SubsetModelFailure(2, "LossNotFinite", "The loss became NaN", "/x/worker.log") },
        TrainingData = "train",
        TrainingFingerprint = "tr-print",
        TestData = testFingerprint is null ? null : "test",
        TestFingerprint = testFingerprint,
        Training = new[]
        {
            new MemorizationScore { Index = 0, Label = 4, Memorization = 0.25, StandardError = 0.3, ModelsIn = 2, ModelsOut = 1, AccuracyIn = 1, AccuracyOut = 0.75 },
            new MemorizationScore { Index = 1, Label = 9, Memorization = double.NaN, StandardError = double.NaN, ModelsIn = 3, ModelsOut = 0, AccuracyIn = 1, AccuracyOut = double.NaN },
        },
        Test = testFingerprint is null ? Array.Empty<TestExampleScore>() : new[]
        {
            new TestExampleScore
            {
                Index = 0, Label = 4, Accuracy = 2.0 / 3, Models = 3, Influence = 0.5, InfluenceStandardError = 0.4, InfluentialExample = 0,
                TopInfluences = new[] { new Influence { TrainingIndex = 0, TrainingLabel = 4, Value = 0.5, StandardError = 0.4 } },
            },
        },
        SplitHalfCorrelation = double.NaN,
        MeanSubsetAccuracy = 0.99,
        MeanTestAccuracy = 0.9,
        Elapsed = TimeSpan.FromSeconds(12.5),
        Executor = "local, 2 workers",
    };

    [Fact]
    public void A_result_reads_back_as_written_missing_scores_included()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), MemorizationFile.FileName);
        MemorizationFile.Write(Sample(), path, overwrite: false);
        var r = MemorizationFile.Read(path);
        Assert.Equal(("lenet5", 4, 0.7, 3, "fresh", 2, 3), (r.Architecture, r.SubsetCount, r.SubsetRatio, r.Seed, r.Initialization, r.TopInfluences, r.ModelsUsed));
        Assert.Equal(12L, r.Recipe["epochs"]);
        Assert.Equal(0.05, r.Recipe["learning-rate"]);
        Assert.Equal(new SubsetModelFailure(2, "LossNotFinite", "The loss became NaN", "/x/worker.log"), r.FailedModels.Single());
        Assert.Equal(Sample().Training[0], r.Training[0]);
        Assert.True(double.IsNaN(r.Training[1].Memorization) && double.IsNaN(r.Training[1].AccuracyOut));
        Assert.Equal((1, 3, 0), (r.Training[1].Index, r.Training[1].ModelsIn, r.Training[1].ModelsOut));
        var t = r.Test.Single();
        Assert.Equal((4L, 2.0 / 3, 0.5, 0.4, 0), (t.Label, t.Accuracy, t.Influence, t.InfluenceStandardError, t.InfluentialExample));
        Assert.Equal(Sample().Test[0].TopInfluences, t.TopInfluences);
        Assert.True(double.IsNaN(r.SplitHalfCorrelation));
        Assert.Equal((0.99, 0.9, 12.5), (r.MeanSubsetAccuracy, r.MeanTestAccuracy, r.Elapsed.TotalSeconds));
        Assert.Equal(path, r.Path);
        Assert.Equal(new[] { 0.25, double.NaN }, r.Scores(ExampleScoreNames.Memorization));
        Assert.Equal(new[] { 0.5 }, r.Scores("Influence"));
        // Overwriting needs the flag (the file is written atomically).
        Assert.Throws<EngineException>(() => MemorizationFile.Write(Sample(), path, overwrite: false));
    }

    [Fact]
    public void Without_test_data_there_is_no_test_section_and_test_scores_are_refused()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), MemorizationFile.FileName);
        MemorizationFile.Write(Sample(testFingerprint: null), path, overwrite: false);
        var r = MemorizationFile.Read(path);
        Assert.Null(r.TestFingerprint);
        Assert.Empty(r.Test);
        Assert.Equal("ScoreNeedsTestData", Assert.Throws<EngineException>(() => r.Scores(ExampleScoreNames.Influence)).ErrorId);
        Assert.Equal("UnknownScoreName", Assert.Throws<EngineException>(() => r.Scores("loss")).ErrorId);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("not json")]
    [InlineData("{\"format\": \"condensaps-memorization\", \"version\": 2}")]
    [InlineData("{\"format\": \"condensaps-memorization\", \"version\": 1}")]
    public void A_file_that_is_not_a_memorisation_file_is_an_error(string text)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "m.json");
        File.WriteAllText(path, text);
        var e = Assert.Throws<EngineException>(() => MemorizationFile.Read(path));
        Assert.Equal("ScoreFileInvalid", e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidData, e.Kind);
        Assert.Equal("ScoreFileNotFound", Assert.Throws<EngineException>(() => MemorizationFile.Read(path + ".missing")).ErrorId);
    }

    [Fact]
    public void A_column_of_the_wrong_length_is_an_error()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), MemorizationFile.FileName);
        MemorizationFile.Write(Sample(), path, overwrite: false);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"memorization\":[0.25,null]", "\"memorization\":[0.25]"));
        Assert.Contains("'memorization' has 1 values for 2 examples", Assert.Throws<EngineException>(() => MemorizationFile.Read(path)).Message);
    }

    [Fact]
    public void Scores_apply_to_the_data_they_were_estimated_on_by_fingerprint()
    {
        var train = RetrainTestData.Train(6);
        var test = RetrainTestData.Val(3);
        var result = new MemorizationResult
        {
            TrainingData = train.Name, TrainingFingerprint = train.Fingerprint, TestData = test.Name, TestFingerprint = test.Fingerprint,
            Training = Enumerable.Range(0, 6).Select(i => new MemorizationScore { Index = i, Memorization = i / 10.0, AccuracyOut = 1 - i / 10.0 }).ToArray(),
            Test = Enumerable.Range(0, 3).Select(i => new TestExampleScore { Index = i, Influence = i / 4.0, Accuracy = 0.5 }).ToArray(),
        };
        var scores = ExampleScores.FromResult(result);
        AssertScores("memorization", new[] { 0, 0.1, 0.2, 0.3, 0.4, 0.5 }, scores.For(train));
        Assert.Equal("held-out-accuracy", scores.For(train, "Held-Out-Accuracy").Name);
        AssertScores("influence", new[] { 0, 0.25, 0.5 }, scores.For(test));
        Assert.Equal(new[] { 0.5, 0.5, 0.5 }, scores.For(test, "accuracy").Values);
        // The same examples with other transforms are the same data; other examples are not, even of the same count.
        Assert.Equal("memorization", scores.For(train.WithTransforms(null, null, augment: true)).Name);
        var other = RetrainTestData.Train(7).Subset(new[] { 1, 2, 3, 4, 5, 6 });
        var e = Assert.Throws<EngineException>(() => scores.For(other));
        Assert.Equal("ScoreDataMismatch", e.ErrorId);
        Assert.Contains("fingerprints differ", e.Message);
        Assert.Equal("ScoreDataMismatch", Assert.Throws<EngineException>(() => scores.For(test, "memorization")).ErrorId);
        Assert.Equal("ScoreDataMismatch", Assert.Throws<EngineException>(() => scores.For(train, "influence")).ErrorId);
    }

    [Fact]
    public void Plain_values_need_one_per_sample()
    {
        var train = RetrainTestData.Train(4);
        var values = ExampleScores.FromValues(new[] { 0.1, 0.2, 0.3, 0.4 });
        AssertScores("score", new[] { 0.1, 0.2, 0.3, 0.4 }, values.For(train));
        var e = Assert.Throws<EngineException>(() => ExampleScores.FromValues(new[] { 0.1, 0.2, 0.3 }).For(train));
        Assert.Equal("ScoreCountMismatch", e.ErrorId);
        Assert.Contains("3 score(s) for the 4 samples", e.Message);
        Assert.Equal("ScoreNameWithoutResult", Assert.Throws<EngineException>(() => values.For(train, "memorization")).ErrorId);
    }

    [Fact]
    public void Subsets_keep_the_samples_and_transforms()
    {
        var train = RetrainTestData.Train(10);
        var subset = train.Subset(new[] { 7, 2 });
        Assert.Equal(2, subset.Count);
        Assert.Equal(new[] { train.Labels[7], train.Labels[2] }, subset.Labels);
        Assert.Equal(train.Transforms, subset.Transforms);
        Assert.Equal(train.Subset(new[] { 7, 2 }).Fingerprint, subset.Fingerprint);
        Assert.NotEqual(train.Subset(new[] { 2, 7 }).Fingerprint, subset.Fingerprint);
        Assert.Throws<ArgumentOutOfRangeException>(() => train.Subset(new[] { 10 }));
    }

    private static void AssertScores(string name, double[] values, (string Name, double[] Values) actual)
    {
        Assert.Equal(name, actual.Name);
        Assert.Equal(values, actual.Values);
    }
}
