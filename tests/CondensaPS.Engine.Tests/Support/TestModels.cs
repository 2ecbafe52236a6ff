using System.Security.Cryptography;
using System.Text;
using CondensaPS.Tests.Shared;

namespace CondensaPS.Engine.Tests.Support;

/// <summary>
/// Models that tests/fixtures/make_test_models.py makes with Debian's PyTorch at test time (torchvision's ResNets,
/// VGGs and MobileNetV2, and small models with a grouped convolution, a concatenation, an unknown operator). Each spec
/// is made once and kept in a temp folder named by the script's hash, so later runs reuse it. Tests that use this are
/// [PyTorchFact]s.
/// </summary>
public static class TestModels
{
    private static readonly object Gate = new();
    private static readonly string Script = TestPaths.Fixture("make_test_models.py");

    /// <summary>The archive for a spec such as "resnet18:classes=10,size=32" (see the script's usage).</summary>
    public static string Path(string spec)
    {
        var folder = Folder();
        var file = System.IO.Path.Combine(folder, FileName(spec));
        lock (Gate)
        {
            if (File.Exists(file)) return file;
            var staging = System.IO.Path.Combine(folder, "staging-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(staging);
            try
            {
                var (code, output) = PyTorchScript.Run(Script, staging, spec);
                if (code != 0) throw new InvalidOperationException($"make_test_models.py {spec} failed:\n{output}");
                // The .pt last: its presence says the spec is complete.
                foreach (var made in Directory.GetFiles(staging).OrderBy(f => f.EndsWith(".pt", StringComparison.Ordinal)))
                {
                    var stem = System.IO.Path.GetFileNameWithoutExtension(FileName(spec));
                    var target = System.IO.Path.Combine(folder, made.EndsWith(".io.safetensors", StringComparison.Ordinal) ? stem + ".io.safetensors" : FileName(spec));
                    try
                    {
                        File.Move(made, target, overwrite: false);
                    }
                    catch (IOException) when (File.Exists(target))
                    {
                        // Another test process made the same spec meanwhile; its file is the same.
                    }
                }
            }
            finally
            {
                Directory.Delete(staging, recursive: true);
            }
            return file;
        }
    }

    /// <summary>The stored input and PyTorch's output for a spec made with the "io" option.</summary>
    public static string IoPath(string spec) => System.IO.Path.ChangeExtension(Path(spec), null) + ".io.safetensors";

    /// <summary>One file name per spec, with its options sorted into the name.</summary>
    private static string FileName(string spec)
    {
        var (name, options) = Split(spec);
        var tag = string.Join("_", options.OrderBy(o => o, StringComparer.Ordinal)).Replace('=', '-');
        return name + (tag.Length > 0 ? "__" + tag : "") + ".pt";
    }

    private static (string Name, List<string> Options) Split(string spec)
    {
        var parts = spec.Split(':', 2);
        var options = parts.Length > 1 ? parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).ToList() : new List<string>();
        return (parts[0], options);
    }

    private static string Folder()
    {
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Script)))[..12];
        var folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "condensaps-test-models", hash);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
