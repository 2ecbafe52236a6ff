using System.IO.Compression;
using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Tests.Operators;
using CondensaPS.Engine.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Formats.TorchScript;

/// <summary>TorchScript archives of the built-in architectures, written by CondensaPS: PyTorch and TorchSharp load them.</summary>
public class BuiltInTorchScriptTests
{
    public BuiltInTorchScriptTests() => TorchRuntime.EnsureInitialized();

    /// <summary>
    /// Exports <paramref name="model"/> as TorchScript with its input and eval-mode output beside it and runs
    /// check_builtin_with_pytorch.py on it (eval outputs; batch norm counting batches and moving its statistics in
    /// training mode). A model without dropout is checked in training mode too, from a float64 copy: batch statistics
    /// over a few samples through dozens of batch norms amplify float32 rounding past any fixed tolerance.
    /// </summary>
    private static (int ExitCode, string Output) ExportAndCheckWithPyTorch(CompressionModel model, string dir, string name)
    {
        var (code, output) = Check(model, dir, name, training: false);
        if (code != 0 || BuiltInModels.HasDropout(model.Spec!.Name)) return (code, output);
        using var copy = model.Clone();
        copy.Module.to(ScalarType.Float64);
        var (code64, output64) = Check(copy, dir, name + ".f64", training: true);
        return (code64, output + output64);
    }

    private static (int ExitCode, string Output) Check(CompressionModel model, string dir, string name, bool training)
    {
        var path = Path.Combine(dir, name + ".pt");
        ModelExporter.Export(model, path, ModelFileFormat.TorchScript, overwrite: false);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var dtype = model.NamedParameters().First().Tensor.dtype;
        var input = BuiltInModels.Input(model.Spec!, 4, seed: 7).to(dtype);
        var tensors = new List<(string, Tensor)> { ("input", input), ("output", model.Forward(input)) };
        if (training)
        {
            model.Module.train();
            tensors.Add(("train_output", model.Forward(input)));
            model.Module.eval();
        }
        var io = Path.Combine(dir, name + ".io.safetensors");
        SafeTensorsFile.Write(io, tensors);
        return PyTorchScript.Run(TestPaths.Fixture("check_builtin_with_pytorch.py"), "torchscript", path, io);
    }

    [PyTorchTheory]
    [MemberData(nameof(BuiltInModels.Architectures), MemberType = typeof(BuiltInModels))]
    public void PyTorch_loads_every_built_in_architecture_and_reproduces_its_outputs(string architecture)
    {
        var dir = TestPaths.NewTempFolder();
        using var model = BuiltInModels.New(architecture);
        var (code, output) = ExportAndCheckWithPyTorch(model, dir, architecture);
        Assert.True(code == 0, output);
        Assert.Contains("eval max abs diff", output);
        if (model.Spec!.Layout().Layers.Count > 0 && architecture is not ("mlp" or "lenet5"))
            Assert.Matches(@"batch norms (\d+), updated in train mode \1", output);
        Directory.Delete(dir, true);
    }

    [PyTorchTheory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("vgg16_bn")]
    [InlineData("mobilenet_v2")]
    public void A_model_with_narrowed_layers_exports_at_its_own_widths(string architecture)
    {
        var dir = TestPaths.NewTempFolder();
        var spec = BuiltInModels.Spec(architecture);
        // Narrow the first layer of every coupled group by a third; widths not multiples of 8 on purpose.
        var widths = spec.LayerWidths().ToDictionary(w => w.Key, w => w.Value - w.Value / 3);
        spec = spec.WithWidths(widths);
        random.manual_seed(5);
        using var model = BuiltInModels.Calibrated(CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(spec), spec, "narrow", "test", CPU));
        var code = BuiltInTorchScript.Code(model);
        var first = spec.Layout().Layers[0];
        Assert.Contains(code.Files.Values, f => f.Contains($"out_channels : Final[int] = {widths[first]}\n"));
        var (exit, output) = ExportAndCheckWithPyTorch(model, dir, architecture);
        Assert.True(exit == 0, output);
        Directory.Delete(dir, true);
    }

    [PyTorchTheory]
    [InlineData("float16")]
    [InlineData("bfloat16")]
    [InlineData("int8")]
    public void Quantized_built_ins_export_what_they_compute_with_and_come_back_with_their_records(string type)
    {
        var dir = TestPaths.NewTempFolder();
        using var dense = BuiltInModels.New("resnet18");
        using var pruned = OperatorTestModels.Run("prune", dense, ("ratio", 0.5));
        using var quantized = OperatorTestModels.Run("quantize", pruned, ("type", type));
        var (code, output) = ExportAndCheckWithPyTorch(quantized, dir, "q");
        Assert.True(code == 0, output);

        using var again = ModelLoader.Load(Path.Combine(dir, "q.pt"), new ModelLoadOptions());
        Assert.Equal("resnet18", again.Architecture);
        Assert.Equal(quantized.DType, again.DType);
        Assert.Equal(quantized.Masks.Keys.OrderBy(k => k), again.Masks.Keys.OrderBy(k => k));
        foreach (var (name, mask) in quantized.Masks) Assert.True(OperatorTestModels.Same(mask, again.Masks[name]), name);
        foreach (var (name, q) in quantized.Quantization)
        {
            Assert.Equal(q.Type, again.Quantization[name].Type);
            Assert.Equal(q.Axis, again.Quantization[name].Axis);
            if (q.Scale is not null) Assert.True(OperatorTestModels.Same(q.Scale, again.Quantization[name].Scale!), name);
        }
        Assert.Equal(quantized.History.Select(h => h.ToString()), again.History.Select(h => h.ToString()));
        OperatorTestModels.AssertSameState(OperatorTestModels.Snapshot(quantized), again);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("resnet18")]
    [InlineData("vgg16_bn")]
    [InlineData("mobilenet_v2")]
    public void TorchSharp_loads_the_archive_as_a_script_module_with_the_same_outputs(string architecture)
    {
        var dir = TestPaths.NewTempFolder();
        using var model = BuiltInModels.New(architecture);
        var path = Path.Combine(dir, "m.pt");
        ModelExporter.Export(model, path, ModelExporter.DefaultFormat(model, path), overwrite: false);
        Assert.Equal(ModelFileFormat.TorchScript, ModelFileFormatDetector.Detect(path));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = BuiltInModels.Input(model.Spec!, 3, seed: 9);
        var expected = model.Forward(input);
        using (var scripted = jit.load<Tensor, Tensor>(path))
        {
            scripted.eval();
            Assert.True(BuiltInModels.RelativeDifference(scripted.call(input), expected) <= 1e-5);
            Assert.Equal(model.NamedParameters().Select(p => p.Name), scripted.named_parameters().Select(p => p.name));
        }
        using var again = ModelLoader.Load(path, new ModelLoadOptions());
        Assert.False(again.IsTorchScript);
        Assert.Equal(model.Spec!.ToString(), again.Spec!.ToString());
        Assert.Equal(0, (again.Forward(input) - expected).abs().max().item<float>());
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Code_is_torchvisions_scripted_style_and_the_same_for_a_spec_and_its_model()
    {
        var spec = BuiltInModels.Spec("resnet18");
        var code = BuiltInTorchScript.Code(spec);
        Assert.Equal("__torch__.torchvision.models.resnet.ResNet", code.RootType);
        var resnet = code.Files["code/__torch__/torchvision/models/resnet.py"];
        Assert.Contains("class ResNet(Module):", resnet);
        Assert.Contains("class BasicBlock(Module):", resnet);
        Assert.Contains("torch.add_(", resnet);
        Assert.Contains("torch.conv2d(input, weight, bias, [2, 2], [3, 3], [1, 1])", code.Files["code/__torch__/torch/nn/modules/conv.py"]);
        Assert.Contains("torch.batch_norm(input, weight, bias, running_mean, running_var, training,", code.Files["code/__torch__/torch/nn/modules/batchnorm.py"]);
        Assert.Contains("return torch.linear(input, weight, bias)", code.Files["code/__torch__/torch/nn/modules/linear.py"]);
        Assert.Contains(code.Files.Keys, k => k.Contains("/___torch_mangle_", StringComparison.Ordinal));
        using var model = ModelLoader.New(BuiltInModels.Options("resnet18"));
        var fromModel = BuiltInTorchScript.Code(model);
        Assert.Equal(code.RootType, fromModel.RootType);
        Assert.Equal(code.Files.OrderBy(f => f.Key), fromModel.Files.OrderBy(f => f.Key));

        var mobile = BuiltInTorchScript.Code(BuiltInModels.Spec("mobilenet_v2"));
        Assert.Contains("return torch.add(x, x0)", mobile.Files["code/__torch__/torchvision/models/mobilenetv2.py"]
            + string.Concat(mobile.Files.Where(f => f.Key.Contains("mobilenetv2/")).Select(f => f.Value)));
        Assert.Contains(mobile.Files.Values, f => f.Contains("groups : Final[int] = 96\n"));
    }

    [Fact]
    public void The_archive_is_laid_out_as_torch_jit_save_lays_it_out()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = BuiltInModels.New("lenet5");
        var path = Path.Combine(dir, "my model.pt");
        ModelExporter.Export(model, path, ModelFileFormat.TorchScript, overwrite: false);
        var bytes = File.ReadAllBytes(path);
        using var zip = ZipFile.OpenRead(path);
        Assert.All(zip.Entries, e => Assert.StartsWith("my_model/", e.FullName));
        var names = zip.Entries.Select(e => e.FullName[("my_model/".Length)..]).ToList();
        Assert.Equal("extra/condensaps.json", names[0]);
        Assert.Equal(new[] { "data.pkl", "constants.pkl", "version" }, names.Where(n => !n.StartsWith("data/") && !n.StartsWith("code/") && !n.StartsWith("extra/")));
        Assert.Equal(model.NamedParameters().Count() + model.NamedBuffers().Count(), names.Count(n => n.StartsWith("data/")));
        foreach (var entry in zip.Entries)
        {
            Assert.Equal(entry.Length, entry.CompressedLength); // stored
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.Equal(entry.Crc32, Crc32.Compute(copy.ToArray()));
            if (entry.Length == 0) continue;
            // The data starts on a 64-byte boundary: find it right after the local header's name and extra field.
            long data = bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(entry.FullName + "FB")) + entry.FullName.Length;
            data += 4 + BitConverter.ToUInt16(bytes, (int)data + 2);
            Assert.Equal(0, data % 64);
            Assert.Equal(copy.ToArray(), bytes[(int)data..(int)(data + entry.Length)]);
        }
        using (var version = new StreamReader(zip.GetEntry("my_model/version")!.Open())) Assert.Equal("3\n", version.ReadToEnd());
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value_in_one_piece_or_many()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        uint whole = Crc32.Compute(data);
        uint pieces = Crc32.Append(Crc32.Append(Crc32.Append(0, data.AsSpan(0, 3)), data.AsSpan(3, 500)), data.AsSpan(503));
        Assert.Equal(whole, pieces);
        uint bitwise = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            bitwise ^= b;
            for (int k = 0; k < 8; k++) bitwise = (bitwise & 1) != 0 ? 0xEDB88320u ^ (bitwise >> 1) : bitwise >> 1;
        }
        Assert.Equal(~bitwise, whole);
    }
}
