using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Training;

/// <summary>Small slices of the project's MNIST digits and small LeNet-5 models for the retraining tests.</summary>
internal static class RetrainTestData
{
    public static string Mnist(string file) => Path.Combine(TestPaths.RepoRoot, "data", "mnist", file);

    public static Dataset Train(int count = 256) =>
        IdxReader.Read(Mnist("train-images-idx3-ubyte.gz"), Mnist("train-labels-idx1-ubyte.gz")).WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, false).Take(count);

    public static Dataset Val(int count = 128) =>
        IdxReader.Read(Mnist("val-images-idx3-ubyte.gz"), Mnist("val-labels-idx1-ubyte.gz")).WithTransforms(new[] { 0.1307 }, new[] { 0.3081 }, false).Take(count);

    public static CompressionModel LeNet(int seed = 1)
    {
        TorchRuntime.EnsureInitialized();
        TorchSharp.torch.random.manual_seed(seed);
        var spec = ArchitectureRegistry.CreateSpec("lenet5");
        return CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(spec), spec, "lenet5", "test", TorchSharp.torch.CPU);
    }
}
