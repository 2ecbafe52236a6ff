using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Metrics;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Structure;

/// <summary>Multiply-accumulates on the model object and in Measure-Model.</summary>
public class ModelMacsTests
{
    [Fact]
    public void A_TorchScript_model_counts_its_MACs_once_it_knows_its_input_shape()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        Assert.Null(model.InputShape);
        Assert.Null(model.Macs);
        model.InputShape = new long[] { 1, 28, 28 };
        Assert.Equal(416_520, model.Macs);
        // A copy keeps the input shape and the analysis.
        using var copy = model.Clone();
        Assert.Equal(new long[] { 1, 28, 28 }, copy.InputShape);
        Assert.Equal(416_520, copy.Macs);
        // LeNet-5's fc1 takes 16x5x5 features: at 32x32 pixels the model cannot run, and the analysis says where.
        var e = Assert.Throws<EngineException>(() => model.Structure(new long[] { 1, 32, 32 }));
        Assert.Equal("ModelStructureNotUnderstood", e.ErrorId);
        Assert.Contains("torch.linear at code/__torch__/torch/nn/modules/linear.py:", e.Message);
        Assert.Contains("400 inputs", e.Message);
    }

    [Fact]
    public void A_bad_input_shape_is_refused_with_its_value()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        var e = Assert.Throws<EngineException>(() => model.InputShape = new long[] { 1, 0, 28 });
        Assert.Equal("InvalidInputShape", e.ErrorId);
        Assert.Contains("1,0,28", e.Message);
        Assert.Null(model.InputShape);
        var required = Assert.Throws<EngineException>(() => model.Structure());
        Assert.Equal("InputShapeRequired", required.ErrorId);
    }

    [Fact]
    public void The_structure_of_a_model_without_its_file_is_read_from_an_archive_written_from_it()
    {
        using var loaded = ModelLoader.Load(TestPaths.Fixture("bn_cnn_scripted.pt"), new ModelLoadOptions());
        using var model = loaded.Clone();
        model.Program = null;
        model.Structures.Clear();
        // bn_cnn: conv1 4@3x3 pad 1 on 1x12x12, pool to 6x6, conv2 8@3x3 gives 4x4, pooled to 1, fc 8 -> 10.
        Assert.Equal(4L * 144 * 9 + 8L * 16 * 36 + 80, model.Structure(new long[] { 1, 12, 12 }).Macs);
        // Any size the model runs at: 16x16 pixels give 8x8 after pooling and 6x6 after conv2.
        Assert.Equal(4L * 256 * 9 + 8L * 36 * 36 + 80, model.Structure(new long[] { 1, 16, 16 }).Macs);
        Assert.NotNull(model.Program);
    }

    [Fact]
    public void Measure_Model_reports_MACs_and_their_ratio_to_the_reference()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        using var reference = model.Clone();
        var m = ModelMeasurementRunner.Measure(model, new ModelMeasurementOptions { InputShape = new long[] { 1, 28, 28 }, Iterations = 2, Warmup = 0, Training = false }, reference);
        Assert.Equal(416_520, m.Macs);
        Assert.Equal(416_520, m.ReferenceMeasurement!.Macs);
        Assert.Equal(1.0, m.MacsRatio);
    }

    [Theory]
    [InlineData("resnet18", 1_814_073_344L)]
    [InlineData("resnet50", 4_089_184_256L)]
    [InlineData("vgg16_bn", 15_470_264_320L)]
    [InlineData("mobilenet_v2", 300_774_272L)]
    public void Built_in_models_count_the_MACs_torchvision_publishes(string architecture, long expected)
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = architecture, Seed = 1 });
        Assert.Equal(new long[] { 3, 224, 224 }, model.InputShape);
        Assert.Equal(expected, model.Macs);
    }

    [Fact]
    public void Small_built_in_models_count_their_MACs_by_hand()
    {
        using var lenet = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 1 });
        Assert.Equal(416_520, lenet.Macs);
        using var mlp = ModelLoader.New(new ModelLoadOptions { Architecture = "mlp", Seed = 1 });
        Assert.Equal(784 * 256 + 256 * 128 + 128 * 10, mlp.Macs);
    }
}
