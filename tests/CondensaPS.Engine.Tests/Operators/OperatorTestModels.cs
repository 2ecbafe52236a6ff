using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Operators;

/// <summary>Small models and helpers for the pruning, quantization and strategy tests.</summary>
internal static class OperatorTestModels
{
    public static CompressionModel LeNet(long seed = 1) => ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = seed });

    public static CompressionModel Mlp(long seed = 1) => ModelLoader.New(new ModelLoadOptions { Architecture = "mlp", Seed = seed });

    /// <summary>A scripted conv + batch-norm + linear network made by tests/fixtures/operators/make_tiny_cnn.py.</summary>
    public static CompressionModel TinyTorchScript() =>
        ModelLoader.Load(TestPaths.Fixture(Path.Combine("operators", "tiny_cnn.pt")), new ModelLoadOptions());

    public static CompressionModel Run(string step, CompressionModel model, params (string Key, object? Value)[] settings)
    {
        var s = new StepSettings(step);
        foreach (var (k, v) in settings) s.Set(k, v);
        return OperationRunner.Run(step, model, s);
    }

    /// <summary>Same shape, same dtype and equal values (torch.equal).</summary>
    public static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static long Zeros(Tensor t) => t.numel() - t.count_nonzero().item<long>();

    /// <summary>Copies of every parameter and buffer, by name.</summary>
    public static Dictionary<string, Tensor> Snapshot(CompressionModel m) =>
        m.NamedParameters().Concat(m.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor.detach().clone());

    public static void AssertSameState(Dictionary<string, Tensor> expected, CompressionModel actual)
    {
        var now = actual.NamedParameters().Concat(actual.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor);
        Assert.Equal(expected.Keys.OrderBy(k => k), now.Keys.OrderBy(k => k));
        foreach (var (name, t) in expected)
        {
            Assert.Equal(t.dtype, now[name].dtype);
            Assert.True(Same(t, now[name]), $"'{name}' differs");
        }
    }

    public static IEnumerable<(string Name, Tensor Tensor)> Weights(CompressionModel m) =>
        m.NamedParameters().Where(p => (p.Tensor.dim() == 2 || p.Tensor.dim() == 4) && p.Name.EndsWith("weight"));
}
