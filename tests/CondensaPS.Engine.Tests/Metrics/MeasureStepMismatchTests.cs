using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Training;

namespace CondensaPS.Engine.Tests.Metrics;

public class MeasureStepMismatchTests
{
    private static StepSettings Quick(bool mismatch) => new StepSettings("measure")
        .Set("batch-size", 8).Set("iterations", 2).Set("warmup", 0).Set("training", false).Set("mismatch", mismatch);

    [Fact]
    public void Mismatch_true_records_the_same_figures_as_Measure_Mismatch_on_the_strategy_data()
    {
        using var reference = RetrainTestData.LeNet(seed: 5);
        using var pruned = OperationRunner.Run("prune", reference, new StepSettings("prune").Set("ratio", 0.9));
        var val = RetrainTestData.Val(64);
        using var measured = OperationRunner.Run("measure", pruned, Quick(true), new OperationInputs { ValidationData = val });
        var expected = MismatchMeasurer.Measure(reference, pruned, val, OperationContext.None);
        var results = measured.History[^1].Results;
        Assert.Equal(64, results["samples"]);
        Assert.Equal(expected.Mismatches, results["mismatches"]);
        Assert.Equal(expected.MismatchesReferenceRight, results["mismatches-reference-right"]);
        Assert.Equal(expected.CompressedAccuracy, (double)results["accuracy"]!, 12);
        Assert.Equal(new long[] { 1, 28, 28 }, (IEnumerable<long>)results["input-shape"]!);
    }

    [Fact]
    public void Mismatch_true_without_data_or_reference_is_a_clear_error()
    {
        using var reference = RetrainTestData.LeNet(seed: 5);
        var noData = Assert.Throws<EngineException>(() => OperationRunner.Run("measure", reference, Quick(true)));
        Assert.Equal("MeasureMismatchNeedsData", noData.ErrorId);
        var noReference = Assert.Throws<EngineException>(() =>
            OperationRunner.Run("measure", reference, Quick(true), new OperationInputs { ValidationData = RetrainTestData.Val(16) }));
        Assert.Equal("ReferenceRequired", noReference.ErrorId);
        var badType = Assert.Throws<StepSettingException>(() => OperationRunner.Run("measure", reference, Quick(false).Set("mismatch", "perhaps")));
        Assert.Equal("mismatch", badType.Key);
    }

    [Fact]
    public void Measuring_with_a_data_set_uses_its_sample_shape_and_rejects_a_shape_as_well()
    {
        using var model = RetrainTestData.LeNet(seed: 2);
        var data = RetrainTestData.Val(8);
        var m = ModelMeasurementRunner.Measure(model, new ModelMeasurementOptions { Data = data, BatchSize = 16, Iterations = 2, Warmup = 0, Training = false });
        Assert.Equal(new long[] { 1, 28, 28 }, m.InputShape);
        Assert.True(m.LatencyP50Ms > 0);
        var both = Assert.Throws<EngineException>(() => ModelMeasurementRunner.Measure(model,
            new ModelMeasurementOptions { Data = data, InputShape = new long[] { 1, 28, 28 } }));
        Assert.Equal("InputShapeAndData", both.ErrorId);
    }
}
