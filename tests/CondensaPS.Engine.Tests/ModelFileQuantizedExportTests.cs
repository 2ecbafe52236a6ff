using System.Text.Json;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Operators.OperatorTestModels;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests;

/// <summary>SafeTensors carries the compression: fp16/bf16 tensors as F16/BF16, int8 as compressed-tensors' I8 values
/// and scales; Import-Model restores the quantization records; PyTorch loads the files into its fp32 modules.</summary>
public class ModelFileQuantizedExportTests
{
    [Theory]
    [InlineData("float16", "F16", StorageType.Float16)]
    [InlineData("bfloat16", "BF16", StorageType.BFloat16)]
    public void Float_quantized_models_store_their_precision_and_come_back_with_their_records(string type, string code, StorageType storage)
    {
        var dir = TestPaths.NewTempFolder();
        using var original = LeNet(seed: 5);
        using var model = Run("quantize", original, ("type", type));
        var path = Path.Combine(dir, "q.safetensors");
        var report = ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);

        var (entries, _, _) = SafeTensorsFile.ReadHeader(path);
        Assert.All(entries, e => Assert.Equal(code, e.DType));
        Assert.Equal(new[] { type, ModelExportReport.OtherBytes }, report.BytesByType.Keys);
        Assert.Equal(model.Parameters * 2, report.BytesByType[type]);
        Assert.Equal(new FileInfo(path).Length, report.Bytes);
        Assert.Equal(report.Bytes, report.BytesByType.Values.Sum());
        Assert.InRange(report.CompressionRatio, 1.9, 2.0);

        using var again = ModelLoader.Load(path, new ModelLoadOptions());
        Assert.Equal(type, again.DType);
        Assert.Equal(model.Quantization.Keys.Order(), again.Quantization.Keys.Order());
        Assert.All(again.Quantization.Values, q => Assert.Equal(storage, q.Type));
        AssertSameState(Snapshot(model), again);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Float16_buffers_are_stored_as_F16_and_integer_counters_stay_I64()
    {
        var dir = TestPaths.NewTempFolder();
        using var original = ModelLoader.New(new ModelLoadOptions { Architecture = "resnet18", NumClasses = 10, InputSize = 32, Seed = 2 });
        using var model = Run("quantize", original, ("type", "float16"));
        var path = Path.Combine(dir, "r18.safetensors");
        var report = ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);
        var dtypes = SafeTensorsFile.ReadHeader(path).Entries.ToDictionary(e => e.Name, e => e.DType);
        Assert.Equal("F16", dtypes["bn1.running_mean"]);
        Assert.Equal("F16", dtypes["layer4.1.bn2.running_var"]);
        Assert.Equal("I64", dtypes["bn1.num_batches_tracked"]);
        Assert.True(report.BytesByType.ContainsKey("int64"));
        using var again = ModelLoader.Load(path, new ModelLoadOptions());
        Assert.Equal(StorageType.Float16, again.Quantization["bn1.running_mean"].Type);
        Assert.False(again.Quantization.ContainsKey("bn1.num_batches_tracked"));
        AssertSameState(Snapshot(model), again);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("per-channel", "channel")]
    [InlineData("per-tensor", "tensor")]
    public void Int8_weights_are_stored_as_compressed_tensors_values_and_scales(string granularity, string strategy)
    {
        var dir = TestPaths.NewTempFolder();
        using var original = LeNet(seed: 6);
        using var pruned = Run("prune", original, ("ratio", 0.5), ("method", "magnitude"), ("scope", "global"));
        using var model = Run("quantize", pruned, ("type", "int8"), ("granularity", granularity));
        var path = Path.Combine(dir, "int8.safetensors");
        var report = ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);

        var (entries, metadata, _) = SafeTensorsFile.ReadHeader(path);
        var byName = entries.ToDictionary(e => e.Name);
        Assert.Equal("I8", byName["conv1.weight"].DType);
        Assert.Equal("I8", byName["fc1.weight"].DType);
        Assert.Equal("F32", byName["fc1.bias"].DType);
        Assert.Equal("F32", byName["conv1.weight_scale"].DType);
        Assert.False(byName.ContainsKey("conv1.weight_zero_point")); // symmetric: no zero point, as compressed-tensors writes it
        if (strategy == "channel")
        {
            Assert.Equal(new long[] { 6, 1, 1, 1 }, byName["conv1.weight_scale"].Shape);
            Assert.Equal(new long[] { 120, 1 }, byName["fc1.weight_scale"].Shape);
        }
        else
        {
            Assert.Equal(new long[] { 1 }, byName["conv1.weight_scale"].Shape);
        }
        using (var config = JsonDocument.Parse(metadata[SafeTensorsQuantization.ConfigKey]))
        {
            var root = config.RootElement;
            Assert.Equal("compressed-tensors", root.GetProperty("quant_method").GetString());
            Assert.Equal("int-quantized", root.GetProperty("format").GetString());
            var group = root.GetProperty("config_groups").GetProperty("group_0");
            Assert.Equal(strategy, group.GetProperty("weights").GetProperty("strategy").GetString());
            Assert.Equal(8, group.GetProperty("weights").GetProperty("num_bits").GetInt32());
            Assert.Contains("fc1", group.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        }
        long weights = model.Quantization.Keys.Sum(n => model.Parameter(n).numel());
        Assert.Equal(weights, report.BytesByType["int8"]);

        // The stored integers are the model's levels: q * scale is the weight exactly.
        var stored = SafeTensorsFile.Read(path);
        try
        {
            using var q = stored["fc1.weight"].to(ScalarType.Float32);
            using var s = stored["fc1.weight_scale"];
            Assert.True(Same(q.mul(s), model.Parameter("fc1.weight")));
        }
        finally { foreach (var t in stored.Values) t.Dispose(); }

        using var again = ModelLoader.Load(path, new ModelLoadOptions());
        Assert.Equal("int8", again.DType);
        AssertSameState(Snapshot(model), again);
        foreach (var (name, q) in model.Quantization)
        {
            var back = again.Quantization[name];
            Assert.Equal(StorageType.Int8, back.Type);
            Assert.Equal(q.Axis, back.Axis);
            Assert.True(Same(q.Scale!, back.Scale!), name);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Asymmetric_int8_from_elsewhere_is_read_as_float_values()
    {
        var dir = TestPaths.NewTempFolder();
        using var model = Mlp(seed: 3);
        var path = Path.Combine(dir, "asym.safetensors");
        var tensors = model.NamedParameters().ToDictionary(p => p.Name, p => p.Tensor);
        var weight = tensors["fc1.weight"];
        using var q = full(weight.shape, 3, ScalarType.Int8);
        using var scale = full(new long[] { weight.shape[0], 1 }, 0.5f);
        using var zeroPoint = full(new long[] { weight.shape[0], 1 }, 1, ScalarType.Int8);
        var entries = tensors.Where(t => t.Key != "fc1.weight").Select(t => (t.Key, t.Value)).ToList();
        entries.Add(("fc1.weight", q));
        entries.Add(("fc1.weight_scale", scale));
        entries.Add(("fc1.weight_zero_point", zeroPoint));
        SafeTensorsFile.Write(path, entries);
        var log = new List<string>();
        using var again = ModelLoader.Load(path, new ModelLoadOptions { Architecture = "mlp" }, new Operations.OperationContext { Verbose = log.Add });
        Assert.Empty(again.Quantization);
        Assert.Equal(1.0f, again.Parameter("fc1.weight").max().item<float>()); // (3 - 1) * 0.5
        Assert.Contains(log, l => l.Contains("asymmetric int8"));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Every_format_reports_its_bytes_by_tensor_type()
    {
        var dir = TestPaths.NewTempFolder();
        using var original = LeNet(seed: 7);
        using var model = Run("quantize", original, ("type", "float16"));
        foreach (var (format, file) in new[] { (ModelFileFormat.TorchScript, "m.pt"), (ModelFileFormat.TorchSharp, "m.dat"), (ModelFileFormat.Compact, "m.cpz"), (ModelFileFormat.SafeTensors, "m.safetensors") })
        {
            var report = ModelExporter.Export(model, Path.Combine(dir, file), format, overwrite: false);
            Assert.Equal(report.Bytes, report.BytesByType.Values.Sum());
            // TorchScript and TorchSharp files hold the fp32 values the model computes with; the others its storage type.
            Assert.Equal(format is ModelFileFormat.TorchScript or ModelFileFormat.TorchSharp ? "float32" : "float16", report.BytesByType.Keys.First());
            Assert.Contains(report.BytesByType.Keys.First(), report.ToString());
        }
        Directory.Delete(dir, true);
    }

    [PyTorchFact]
    public void PyTorch_loads_fp16_bf16_and_dequantized_int8_files_into_its_fp32_LeNet()
    {
        var dir = TestPaths.NewTempFolder();
        var (input, _) = Io("lenet5");
        using (input)
        {
            foreach (var (type, mode) in new[] { ("float16", "safetensors"), ("bfloat16", "safetensors"), ("int8", "compressed-tensors") })
            {
                using var original = LeNet(seed: 8);
                using var model = Run("quantize", original, ("type", type));
                var weights = Path.Combine(dir, type + ".safetensors");
                ModelExporter.Export(model, weights, ModelFileFormat.SafeTensors, overwrite: false);
                // The quantized model's own outputs are what PyTorch must reproduce.
                var io = Path.Combine(dir, type + ".io.safetensors");
                using (no_grad())
                using (var output = model.Forward(input))
                    SafeTensorsFile.Write(io, new[] { ("input", input), ("output", output) });
                var (code, text) = CheckWithPyTorch(mode, "lenet5", weights, io);
                Assert.True(code == 0, text);
                Assert.Contains(type == "int8" ? "torch.int8" : "torch." + type, text);
                if (type == "int8") Assert.Contains("dequantized fc1.weight [120, 1]", text);
            }
        }
        Directory.Delete(dir, true);
    }
}
