using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using CondensaPS.Engine.Training;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class FeatureMatchingTests
{
    public FeatureMatchingTests() => TorchRuntime.EnsureInitialized();

    private static Tensor P(CompressionModel m, string name) => m.NamedParameters().Single(p => p.Name == name).Tensor;

    [Fact]
    public void The_relative_error_is_the_squared_difference_over_the_teachers_squared_norm()
    {
        using var scope = NewDisposeScope();
        // ((1 - 1)^2 + (2 - 1)^2 + (0 - 2)^2) / (1 + 1 + 4) = 5 / 6
        var value = FeatureMatching.RelativeError(tensor(new[] { 1f, 2f, 0f }), tensor(new[] { 1f, 1f, 2f })).item<float>();
        Assert.Equal(5.0 / 6, value, 6);
    }

    [Fact]
    public void On_LeNet5_it_is_the_mean_over_its_five_layers_computed_by_hand()
    {
        using var teacher = RetrainTestData.LeNet(3);
        using var student = OperationRunner.Run("prune", teacher, new StepSettings("prune").Set("ratio", 0.7));
        using var matching = FeatureMatching.Between(student, teacher, _ => { });
        Assert.Equal(new[] { "conv1", "conv2", "fc1", "fc2", "fc3" }, matching.Layers);
        using var scope = NewDisposeScope();
        var x = RetrainTestData.Train(8).Batch(Enumerable.Range(0, 8).ToArray(), 0, 8).Inputs;
        matching.Start();
        using (no_grad()) teacher.Forward(x);
        student.Forward(x);
        double term = matching.Stop().item<float>();

        // The layers' outputs by hand: conv1 (padding 2), pool, conv2, pool, fc1, fc2, fc3, ReLU between.
        List<Tensor> Outputs(CompressionModel m)
        {
            var c1 = nn.functional.conv2d(x, P(m, "conv1.weight"), P(m, "conv1.bias"), padding: new long[] { 2, 2 });
            var c2 = nn.functional.conv2d(nn.functional.max_pool2d(c1.relu(), 2), P(m, "conv2.weight"), P(m, "conv2.bias"));
            var f1 = nn.functional.linear(nn.functional.max_pool2d(c2.relu(), 2).flatten(1), P(m, "fc1.weight"), P(m, "fc1.bias"));
            var f2 = nn.functional.linear(f1.relu(), P(m, "fc2.weight"), P(m, "fc2.bias"));
            var f3 = nn.functional.linear(f2.relu(), P(m, "fc3.weight"), P(m, "fc3.bias"));
            return new List<Tensor> { c1, c2, f1, f2, f3 };
        }
        using (no_grad())
        {
            var s = Outputs(student);
            var t = Outputs(teacher);
            double expected = 0;
            for (int i = 0; i < 5; i++)
                expected += (s[i] - t[i]).pow(2).sum().item<float>() / t[i].pow(2).sum().item<float>();
            Assert.Equal(expected / 5, term, 4);
            Assert.True(term > 0);
        }
    }

    [Fact]
    public void A_model_matched_against_itself_costs_nothing_and_taps_stop_recording()
    {
        using var teacher = RetrainTestData.LeNet(4);
        using var student = teacher.Clone();
        using var matching = FeatureMatching.Between(student, teacher, _ => { });
        using var scope = NewDisposeScope();
        var x = RetrainTestData.Train(4).Batch(Enumerable.Range(0, 4).ToArray(), 0, 4).Inputs;
        matching.Start();
        teacher.Forward(x);
        student.Forward(x);
        Assert.Equal(0.0, matching.Stop().item<float>(), 8);
        // Outside Start/Stop nothing is recorded, so a forward pass (validation) leaves nothing to match.
        student.Forward(x);
        teacher.Forward(x);
        matching.Start();
        var e = Assert.Throws<EngineException>(() => matching.Stop());
        Assert.Equal("FeatureMatchingNotSupported", e.ErrorId);
    }

    [Fact]
    public void Every_convolution_and_linear_layer_is_tapped_inside_sequential_blocks()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "mobilenet_v2", Seed = 1, InputSize = 32, NumClasses = 10, InputChannels = 3 });
        var layers = FeatureTaps.TappableLayers(model, out var why);
        Assert.Null(why);
        int expected = model.Module.named_modules().Count(m => m.module is TorchSharp.Modules.Conv2d or TorchSharp.Modules.Linear);
        Assert.Equal(expected, layers.Count);
        using var taps = FeatureTaps.On(model, layers);
        using var scope = NewDisposeScope();
        model.Module.eval();
        taps.Recording = true;
        using (no_grad()) model.Forward(randn(2, 3, 32, 32));
        Assert.All(taps.Outputs, o => Assert.NotNull(o));
        Assert.Equal(new long[] { 2, 10 }, taps.Outputs[^1]!.shape);
    }

    [Fact]
    public void TorchScript_models_are_refused_with_the_reason()
    {
        using var script = ModelLoader.Load(TestPaths.Fixture("bn_cnn_scripted.pt"), new ModelLoadOptions());
        using var clone = script.Clone();
        var e = Assert.Throws<EngineException>(() => FeatureMatching.Between(clone, script, _ => { }));
        Assert.Equal("FeatureMatchingNotSupported", e.ErrorId);
        Assert.Contains("TorchScript", e.Message);
    }
}
