using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;

namespace CondensaPS.Engine.Tests;

/// <summary>Export in each format, import again: PyTorch's outputs still come out; PyTorch reads what we write.</summary>
public class ModelFileExportTests
{
    [Theory]
    [InlineData("lenet5_scripted.pt", null, ModelFileFormat.TorchScript, "lenet5")]
    [InlineData("lenet5_traced.pt", null, ModelFileFormat.TorchScript, "lenet5")]
    [InlineData("bn_cnn_scripted.pt", null, ModelFileFormat.TorchScript, "bn_cnn")]
    [InlineData("lenet5_scripted.pt", "lenet5", ModelFileFormat.TorchSharp, "lenet5")]
    [InlineData("lenet5_scripted.pt", "lenet5", ModelFileFormat.SafeTensors, "lenet5")]
    [InlineData("lenet5_state_dict.pt", "lenet5", ModelFileFormat.TorchSharp, "lenet5")]
    [InlineData("lenet5_state_dict.pt", "lenet5", ModelFileFormat.SafeTensors, "lenet5")]
    [InlineData("mlp_state_dict.pt", "mlp", ModelFileFormat.SafeTensors, "mlp")]
    public void Export_then_import_reproduces_PyTorch(string fixture, string? reimportAs, ModelFileFormat format, string io)
    {
        var dir = TestPaths.NewTempFolder();
        var isScript = fixture.Contains("scripted") || fixture.Contains("traced");
        using var model = ModelLoader.Load(TestPaths.Fixture(fixture), new ModelLoadOptions { Architecture = isScript ? null : reimportAs });
        var path = Path.Combine(dir, "exported.bin");
        ModelExporter.Export(model, path, format, overwrite: false);
        Assert.Equal(format, ModelFileFormatDetector.Detect(path));
        Assert.Equal(new[] { "exported.bin" }, Directory.GetFiles(dir).Select(Path.GetFileName)); // no temp file left
        using var again = ModelLoader.Load(path, new ModelLoadOptions { Architecture = reimportAs });
        Assert.Equal(model.Parameters, again.Parameters);
        Assert.InRange(MaxDiff(again, io), 0, Tolerance);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SafeTensors_export_uses_state_dict_names_buffers_included_and_records_metadata()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = ModelLoader.Load(TestPaths.Fixture("bn_cnn_scripted.pt"), new ModelLoadOptions());
        var path = Path.Combine(dir, "bn.safetensors");
        Assert.Equal(ModelFileFormat.SafeTensors, ModelExporter.DefaultFormat(model, path));
        ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);
        var (entries, metadata, dataStart) = SafeTensorsFile.ReadHeader(path);
        Assert.Equal(0, dataStart % 8); // header padded to a multiple of 8
        var names = entries.Select(e => e.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "fc.weight" }, names);
        Assert.Equal("I64", entries.Single(e => e.Name == "bn1.num_batches_tracked").DType);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal("bn_cnn_scripted", metadata["condensaps.name"]);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SafeTensors_from_a_built_in_model_records_its_architecture_so_import_needs_none()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "small.safetensors");
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "mlp", HiddenSizes = new[] { 32, 16 }, NumClasses = 5, InputSize = 8, Seed = 4 });
        ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);
        var log = new List<string>();
        using var again = ModelLoader.Load(path, new ModelLoadOptions(), new Operations.OperationContext { Verbose = log.Add });
        Assert.Equal("mlp(1x8x8 -> 32-16 -> 5)", again.Spec!.ToString());
        Assert.Equal(model.Spec!.ToString(), again.Spec.ToString());
        Assert.Contains(log, l => l.Contains("using that architecture"));
        using var input = TorchSharp.torch.randn(3, 1, 8, 8);
        using var a = model.Forward(input);
        using var b = again.Forward(input);
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
        // A file from elsewhere records nothing: the architecture must be named.
        var bare = Path.Combine(dir, "bare.safetensors");
        SafeTensorsFile.Write(bare, model.NamedParameters());
        Assert.Equal("ArchitectureRequired", Throws(() => ModelLoader.Load(bare, new ModelLoadOptions()).Dispose()).ErrorId);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Existing_output_needs_overwrite_and_is_left_unchanged()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "taken.safetensors");
        File.WriteAllText(path, "keep me");
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        var e = Throws(() => ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false));
        Assert.Equal("OutputExists", e.ErrorId);
        Assert.Equal(EngineErrorKind.ResourceExists, e.Kind);
        Assert.Equal("keep me", File.ReadAllText(path));
        ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: true);
        Assert.Equal(ModelFileFormat.SafeTensors, ModelFileFormatDetector.Detect(path));
        Assert.Single(Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Unwritable_outputs_are_refused_and_nothing_is_written()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        var e = Throws(() => ModelExporter.Export(model, "/no/such/folder/m.safetensors", ModelFileFormat.SafeTensors, overwrite: false));
        Assert.Equal("OutputFolderNotFound", e.ErrorId);
        Assert.Equal(EngineErrorKind.ObjectNotFound, e.Kind);
        // /proc refuses new files even to root, so this holds whoever runs the tests.
        e = Throws(() => ModelExporter.Export(model, "/proc/condensaps-test.safetensors", ModelFileFormat.SafeTensors, overwrite: false));
        Assert.Equal("OutputNotWritable", e.ErrorId);
        Assert.Equal(EngineErrorKind.WriteError, e.Kind);
        Assert.False(File.Exists("/proc/condensaps-test.safetensors"));
        var dir = TestPaths.NewTempFolder();
        e = Throws(() => ModelExporter.Export(model, dir, ModelFileFormat.SafeTensors, overwrite: true));
        Assert.Equal("OutputIsDirectory", e.ErrorId);
        e = Throws(() => ModelExporter.Export(model, Path.Combine(dir, "m.pt"), ModelFileFormat.PyTorchStateDict, overwrite: false));
        Assert.Equal("FormatNotWritable", e.ErrorId);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        Directory.Delete(dir, true);
    }

    [PyTorchFact]
    public void PyTorch_loads_our_TorchScript_and_gets_its_own_outputs()
    {
        var dir = TestPaths.NewTempFolder();
        foreach (var (fixture, io) in new[] { ("lenet5_traced.pt", "lenet5"), ("bn_cnn_scripted.pt", "bn_cnn") })
        {
            using var model = ModelLoader.Load(TestPaths.Fixture(fixture), new ModelLoadOptions());
            var path = Path.Combine(dir, "ours-" + fixture);
            ModelExporter.Export(model, path, ModelFileFormat.TorchScript, overwrite: false);
            var (code, output) = CheckWithPyTorch("torchscript", path, TestPaths.Fixture(io + ".io.safetensors"));
            Assert.True(code == 0, output);
            Assert.Contains("max abs diff", output);
        }
        Directory.Delete(dir, true);
    }

    [PyTorchFact]
    public void PyTorch_reads_our_safetensors_into_its_own_modules_with_strict_names()
    {
        var dir = TestPaths.NewTempFolder();
        foreach (var (fixture, architecture) in new[] { ("lenet5_state_dict.pt", "lenet5"), ("mlp_state_dict.pt", "mlp") })
        {
            using var model = ModelLoader.Load(TestPaths.Fixture(fixture), new ModelLoadOptions { Architecture = architecture });
            var path = Path.Combine(dir, architecture + ".safetensors");
            ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);
            var (code, output) = CheckWithPyTorch("safetensors", architecture, path, TestPaths.Fixture(architecture + ".io.safetensors"));
            Assert.True(code == 0, output);
            Assert.Contains("'format': 'pt'", output);
        }
        Directory.Delete(dir, true);
    }
}
