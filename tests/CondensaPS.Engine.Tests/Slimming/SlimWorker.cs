using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>
/// Slims a TorchScript model in a child process (`dotnet CondensaPS.Engine.Tests.dll slim-worker MODEL TARGET`), so a
/// test can give it an environment of its own (a temp folder on a full disk) and see it survive where a libtorch
/// fault would end it: by half (filters, input 3x32x32), exported as TorchScript to TARGET; prints "slimmed".
/// </summary>
internal static class SlimWorker
{
    public const string Command = "slim-worker";

    public static readonly long[] InputShape = { 3, 32, 32 };

    /// <summary>The slimming the worker does, for the test to do the same in its own process.</summary>
    public static CompressionModel Slim(CompressionModel model) => SlimTests.Slim(model, 0.5, more: ("input-shape", InputShape));

    public static int Run(string[] args)
    {
        using var model = ModelLoader.Load(args[1], new ModelLoadOptions());
        using var slimmed = Slim(model);
        ModelExporter.Export(slimmed, args[2], ModelFileFormat.TorchScript, overwrite: false);
        Console.Out.WriteLine("slimmed");
        return 0;
    }
}
