using System.Diagnostics;

/// <summary>The dense fp32 TorchScript files the compact files are compared with, written by PyTorch (make_dense_torchscript.py).</summary>
internal static class DenseTorchScript
{
    public static readonly string[] Names = { "resnet18", "lenet5", "lenet5-caffe", "resnet18-digits" };

    /// <summary>Makes the files once per output folder; false (with a message) when PyTorch is not there.</summary>
    public static bool Ensure(string folder)
    {
        if (Names.All(n => File.Exists(PathOf(folder, n)))) return true;
        const string python = "/usr/bin/python3";
        var script = Path.Combine(BenchArgs.RepoRoot(), "bench", "footprint", "make_dense_torchscript.py");
        var psi = new ProcessStartInfo(python, new[] { script, folder }) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode == 0) return true;
        Console.Error.WriteLine($"{python} {script} failed ({p.ExitCode}); it needs python3-torch and python3-torchvision.");
        return false;
    }

    public static string PathOf(string folder, string name) => Path.Combine(folder, name + ".pt");

    public static long Bytes(string folder, string name) => new FileInfo(PathOf(folder, name)).Length;
}
