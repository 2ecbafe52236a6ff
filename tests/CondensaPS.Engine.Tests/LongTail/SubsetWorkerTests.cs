using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.LongTail;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Tests.Training;

namespace CondensaPS.Engine.Tests.LongTail;

/// <summary>
/// One subset model as its worker trains it (here in-process; Measure-Memorization runs the same code in a `condensa`
/// process): subset.json in, result.json out, with a correctness bit per training and test example.
/// </summary>
public class SubsetWorkerTests
{
    private static string Prepare(int number, MemorizationInitialization init, string? modelOverride = null)
    {
        var folder = TestPaths.NewTempFolder();
        var inputs = Path.Combine(folder, "inputs");
        Directory.CreateDirectory(inputs);
        using (var start = RetrainTestData.LeNet(4)) ModelExporter.Export(start, Path.Combine(inputs, "start.cpz"), ModelFileFormat.Compact, overwrite: false);
        DatasetSnapshot.Write(RetrainTestData.Train(60), Path.Combine(inputs, "training.safetensors"));
        DatasetSnapshot.Write(RetrainTestData.Val(20), Path.Combine(inputs, "test.safetensors"));
        var dir = Path.Combine(folder, "subsets", number.ToString("0000"));
        Directory.CreateDirectory(dir);
        var recipe = MemorizationRecipe.Resolve(new StepSettings("retrain").Set("epochs", 1L).Set("batch-size", 16L));
        var spec = new SubsetJobSpec
        {
            Number = number,
            SubsetRatio = 0.5,
            PlanSeed = 7,
            TrainingSeed = 7 + number,
            Initialization = init,
            Model = modelOverride ?? Path.Combine("..", "..", "inputs", "start.cpz"),
            TrainingData = Path.Combine("..", "..", "inputs", "training.safetensors"),
            TestData = Path.Combine("..", "..", "inputs", "test.safetensors"),
            Recipe = MemorizationRecipe.ToDictionary(recipe),
        };
        var path = Path.Combine(dir, SubsetJobSpec.FileName);
        spec.Write(path);
        var read = SubsetJobSpec.Read(path);
        Assert.Equal((number, 0.5, 7, init), (read.Number, read.SubsetRatio, read.PlanSeed, read.Initialization));
        Assert.Equal(1L, read.Recipe["epochs"]);
        return path;
    }

    [Theory]
    [InlineData(MemorizationInitialization.Fresh)]
    [InlineData(MemorizationInitialization.Given)]
    public void A_subset_model_records_which_examples_it_gets_right(MemorizationInitialization init)
    {
        var spec = Prepare(3, init);
        Assert.Equal(0, SubsetWorker.Run(spec));
        var r = SubsetJobResult.Read(Path.Combine(Path.GetDirectoryName(spec)!, SubsetJobResult.FileName));
        Assert.True(r.Succeeded, r.Error);
        Assert.Equal((3, 60, 20, 30), (r.Number, r.TrainingCount, r.TestCount, r.SubsetSize));
        Assert.Equal(60, r.TrainingCorrect.Length);
        Assert.Equal(20, r.TestCorrect.Length);
        var members = SubsetPlan.Members(SubsetPlan.Draw(60, 0.5, 7, 3));
        Assert.Equal(members.Count(i => r.TrainingCorrect[i]) / 30.0, r.SubsetAccuracy, 12);
        Assert.Equal(r.TestCorrect.Count(c => c) / 20.0, r.TestAccuracy, 12);
        Assert.Contains("pid", r.Worker);
    }

    [Fact]
    public void The_same_spec_trains_the_same_model_and_another_number_another_one()
    {
        SubsetJobResult Train(int number)
        {
            var spec = Prepare(number, MemorizationInitialization.Fresh);
            Assert.Equal(0, SubsetWorker.Run(spec));
            return SubsetJobResult.Read(Path.Combine(Path.GetDirectoryName(spec)!, SubsetJobResult.FileName));
        }
        var a = Train(1);
        var b = Train(1);
        Assert.Equal(a.TrainingCorrect, b.TrainingCorrect);
        Assert.Equal(a.TestCorrect, b.TestCorrect);
        Assert.NotEqual(SubsetPlan.Draw(60, 0.5, 7, 1), SubsetPlan.Draw(60, 0.5, 7, 2));
    }

    [Fact]
    public void A_model_that_fails_records_its_error_and_exits_1()
    {
        var spec = Prepare(0, MemorizationInitialization.Given, modelOverride: "missing.cpz");
        Assert.Equal(1, SubsetWorker.Run(spec));
        var r = SubsetJobResult.Read(Path.Combine(Path.GetDirectoryName(spec)!, SubsetJobResult.FileName));
        Assert.False(r.Succeeded);
        Assert.Equal("ModelFileNotFound", r.ErrorId);
        Assert.Empty(r.TrainingCorrect);
    }

    [Fact]
    public void A_result_that_is_cut_short_is_an_error_that_says_so()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), SubsetJobResult.FileName);
        File.WriteAllText(path, "{\"kind\": \"memorization-subset-result\", \"number\": 1, \"succ");
        Assert.Equal("SubsetResultInvalid", Assert.Throws<EngineException>(() => SubsetJobResult.Read(path)).ErrorId);
    }

    [Fact]
    public void The_recipe_is_cross_entropy_without_a_seed_of_its_own()
    {
        var defaults = MemorizationRecipe.Resolve(new StepSettings("retrain"));
        Assert.Equal("cross-entropy", defaults["loss"]);
        Assert.Equal(12L, defaults["epochs"]);
        var given = MemorizationRecipe.Resolve(new StepSettings("retrain").Set("epochs", 3L).Set("batch-size", 32L));
        Assert.Equal((3L, 32L, 0.05), ((long)given["epochs"]!, (long)given["batch-size"]!, (double)given["learning-rate"]!));
        Assert.Equal("RecipeNeedsReference", Assert.Throws<EngineException>(() => MemorizationRecipe.Resolve(new StepSettings("retrain").Set("loss", "label-preserving"))).ErrorId);
        var seed = Assert.Throws<StepSettingException>(() => MemorizationRecipe.Resolve(new StepSettings("retrain").Set("seed", 4L)));
        Assert.Equal("seed", seed.Key);
        var unknown = Assert.Throws<StepSettingException>(() => MemorizationRecipe.Resolve(new StepSettings("retrain").Set("epoch", 4L)));
        Assert.Equal("epoch", unknown.Key);
    }
}
