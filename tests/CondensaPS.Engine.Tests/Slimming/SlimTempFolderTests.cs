using System.Diagnostics;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Operators;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Slimming;

/// <summary>
/// Slimming a TorchScript model with depthwise convolutions rewrites their groups in an archive of the model, which
/// libtorch serializes into memory: nothing goes to the temp folder. Through a temp file, a full temp disk killed the
/// process (libtorch's zip writer throws from its destructor: "terminate called after throwing an instance of
/// 'c10::Error' ... unexpected pos"). The slimming runs in a child process whose TMPDIR is a full tmpfs, so a crash
/// ends the child, not the test run.
/// </summary>
public class SlimTempFolderTests
{
    [TmpfsPyTorchFact]
    public void Slimming_depthwise_TorchScript_writes_nothing_to_a_full_temp_disk_and_slims_as_usual()
    {
        var source = TestModels.Path("mobilenet_v2:classes=10,size=32");
        var target = Path.Combine(TestPaths.NewTempFolder(), "slim.pt");
        using var full = Tmpfs.Mount(64 * 1024);
        var filler = Fill(full.Path);

        var (code, output, error) = RunWorker(source, target, full.Path);

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.DoesNotContain("terminate called", error);
        Assert.Contains("slimmed", output);
        // Nothing was written to the temp folder, or left there.
        Assert.Equal(new[] { filler }, Directory.GetFileSystemEntries(full.Path));
        // The child's model is the one slimmed here with a working temp folder: same tensors, same outputs.
        using var model = ModelLoader.Load(source, new ModelLoadOptions());
        using var expected = SlimWorker.Slim(model);
        using var slimmed = ModelLoader.Load(target, new ModelLoadOptions());
        OperatorTestModels.AssertSameState(OperatorTestModels.Snapshot(expected), slimmed);
        Assert.Equal(new long[] { 48, 1, 3, 3 }, slimmed.NamedParameters().Single(p => p.Name == "features.2.conv.1.0.weight").Tensor.shape);
        using var input = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(8));
        using (no_grad())
        using (var want = expected.Forward(input))
        using (var got = slimmed.Forward(input))
            Assert.True(OperatorTestModels.Same(want, got), "the slimmed model's outputs differ");
    }

    /// <summary>Fills the file system at <paramref name="folder"/> to its last byte; returns the filler file.</summary>
    private static string Fill(string folder)
    {
        var filler = Path.Combine(folder, "filler");
        var block = new byte[4096];
        try
        {
            using var stream = new FileStream(filler, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
            while (true) stream.Write(block);
        }
        catch (IOException e) when (e.HResult == 28 || e.Message.Contains("No space left", StringComparison.Ordinal))
        {
        }
        Assert.Equal(0, new DriveInfo(folder).AvailableFreeSpace);
        return filler;
    }

    private static (int Code, string Out, string Err) RunWorker(string source, string target, string tempFolder)
    {
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { typeof(Program).Assembly.Location, SlimWorker.Command, source, target }) start.ArgumentList.Add(a);
        start.Environment["TMPDIR"] = tempFolder;
        start.Environment["CONDENSAPS_THREADS"] = "1";
        // The runtime's diagnostics socket would otherwise be made in TMPDIR; this test is about what CondensaPS writes.
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000)) { process.Kill(true); throw new TimeoutException("the slim worker did not finish"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
