using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Support;

/// <summary>The PyTorch-made fixtures of tests/fixtures (see its README) and how to compare with their outputs.</summary>
public static class ModelFileFixtures
{
    public const double Tolerance = 1e-5;

    /// <summary>The fixed input and PyTorch's output stored beside a fixture ("lenet5", "bn_cnn", "mlp").</summary>
    public static (Tensor Input, Tensor Output) Io(string name)
    {
        var io = SafeTensorsFile.Read(TestPaths.Fixture(name + ".io.safetensors"));
        return (io["input"], io["output"]);
    }

    /// <summary>The largest absolute difference between the model's output and PyTorch's on the fixed input.</summary>
    public static double MaxDiff(CompressionModel model, string ioName)
    {
        var (input, expected) = Io(ioName);
        using (input)
        using (expected)
        using (no_grad())
        using (var output = model.Forward(input))
        {
            Assert.Equal(expected.shape, output.shape);
            return (output - expected).abs().max().item<float>();
        }
    }

    /// <summary>Runs tests/fixtures/check_with_pytorch.py; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) CheckWithPyTorch(params string[] arguments) =>
        PyTorchScript.Run(TestPaths.Fixture("check_with_pytorch.py"), arguments);

    public static EngineException Throws(Action action)
    {
        var e = Assert.Throws<EngineException>(action);
        return e;
    }
}
