using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;

namespace CondensaPS.Engine.Tests.Formats;

/// <summary>
/// libtorch serializes a TorchScript archive into memory and .NET writes the bytes, so a file system that refuses the
/// write gives OutputNotWritable (not a C++ exception with its stack trace) and leaves nothing behind.
/// </summary>
public class TorchScriptExportFailureTests
{
    private static void AssertNoNativeText(EngineException e)
    {
        Assert.DoesNotContain("Exception raised from", e.Message);
        Assert.DoesNotContain("c10::", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TorchScript_export_where_files_cannot_be_created_is_OutputNotWritable()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        // /proc refuses new files even to root, so this holds whoever runs the tests.
        var e = Throws(() => ModelExporter.Export(model, "/proc/condensaps-test.pt", ModelFileFormat.TorchScript, overwrite: false));
        Assert.Equal(("OutputNotWritable", EngineErrorKind.WriteError), (e.ErrorId, e.Kind));
        AssertNoNativeText(e);
    }

    [TmpfsFact]
    public void TorchScript_export_to_a_read_only_file_system_is_OutputNotWritable()
    {
        using var readOnly = Tmpfs.Mount(1 << 20, readOnly: true);
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        var e = Throws(() => ModelExporter.Export(model, Path.Combine(readOnly.Path, "m.pt"), ModelFileFormat.TorchScript, overwrite: false));
        Assert.Equal(("OutputNotWritable", EngineErrorKind.WriteError), (e.ErrorId, e.Kind));
        Assert.Contains("Read-only file system", e.Message);
        AssertNoNativeText(e);
    }

    [TmpfsFact]
    public void TorchScript_export_to_a_full_disk_is_OutputDiskFull_and_frees_what_it_wrote()
    {
        using var small = Tmpfs.Mount(64 * 1024);
        using var model = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        var target = Path.Combine(small.Path, "new.pt");
        var e = Throws(() => ModelExporter.Export(model, target, ModelFileFormat.TorchScript, overwrite: false));
        Assert.Equal(("OutputDiskFull", EngineErrorKind.WriteError), (e.ErrorId, e.Kind));
        Assert.Contains("No space left", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(small.Path));
        Assert.Equal(0, small.UsedBytes);
    }

    [TmpfsFact]
    public void Every_format_on_a_full_disk_is_OutputDiskFull_and_keeps_the_old_file()
    {
        using var small = Tmpfs.Mount(64 * 1024);
        var target = Path.Combine(small.Path, "m.bin");
        File.WriteAllText(target, "old");
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        foreach (var format in new[] { ModelFileFormat.SafeTensors, ModelFileFormat.TorchSharp, ModelFileFormat.Compact })
        {
            var e = Throws(() => ModelExporter.Export(model, target, format, overwrite: true));
            Assert.Equal("OutputDiskFull", e.ErrorId);
            Assert.Equal("old", File.ReadAllText(target));
            Assert.Single(Directory.GetFileSystemEntries(small.Path));
        }
    }
}
