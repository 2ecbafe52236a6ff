using System.IO.Compression;
using System.Text;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using TorchSharp;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests;

/// <summary>Damaged, hostile and mismatched files: each gets its own ErrorId and kind, and nothing is half-loaded.</summary>
public class ModelFileBadInputTests
{
    private static EngineException LoadFails(string path, string? architecture = "lenet5", string? device = null) =>
        Throws(() => ModelLoader.Load(path, new ModelLoadOptions { Architecture = architecture, Device = device }).Dispose());

    private static string Temp(string name, byte[] content)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A zip laid out as torch.save lays it out, with the given pickle and storages.</summary>
    private static string TorchZip(byte[] pickle, params (string Key, byte[] Bytes)[] storages)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "crafted.pt");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            void Add(string name, byte[] bytes) { using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open(); s.Write(bytes); }
            Add("crafted/data.pkl", pickle);
            Add("crafted/byteorder", Encoding.ASCII.GetBytes("little"));
            foreach (var (key, bytes) in storages) Add("crafted/data/" + key, bytes);
        }
        return path;
    }

    [Fact]
    public void Missing_file_empty_file_folder_and_non_model()
    {
        var e = LoadFails("/no/such/model.pt");
        Assert.Equal(("ModelFileNotFound", EngineErrorKind.ObjectNotFound), (e.ErrorId, e.Kind));
        e = LoadFails(Temp("empty.pt", Array.Empty<byte>()));
        Assert.Equal(("ModelFileEmpty", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        e = LoadFails(TestPaths.Fixtures);
        Assert.Equal(("ModelPathIsDirectory", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        e = LoadFails(TestPaths.Fixture("make_fixtures.py"));
        Assert.Equal(("UnrecognizedModelFormat", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains("make_fixtures.py", e.Message);
    }

    [Theory]
    [InlineData("lenet5_state_dict.pt")]
    [InlineData("lenet5_scripted.pt")]
    public void Truncated_archives_are_refused(string fixture)
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture(fixture));
        var e = LoadFails(Temp("cut.pt", bytes[..(bytes.Length / 2)]));
        Assert.Equal(("TruncatedArchive", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
    }

    [Fact]
    public void State_dict_that_does_not_fit_lists_the_first_mismatches()
    {
        var e = LoadFails(TestPaths.Fixture("lenet5_state_dict.pt"), "mlp");
        Assert.Equal(("StateDictMismatch", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains("'fc1.weight' is [120x400] in the file but [256x784]", e.Message);
        Assert.Contains("unexpected 'conv1.weight'", e.Message);
        e = Throws(() => ModelLoader.Load(TestPaths.Fixture("lenet5_state_dict.pt"), new ModelLoadOptions { Architecture = "lenet5", NumClasses = 7 }).Dispose());
        Assert.Equal("StateDictMismatch", e.ErrorId);
        Assert.Contains("'fc3.weight' is [10x84] in the file but [7x84]", e.Message);
    }

    [Fact]
    public void Unknown_or_missing_architecture_and_CUDA_on_a_CPU_build()
    {
        var e = LoadFails(TestPaths.Fixture("lenet5_state_dict.pt"), "vgg99");
        Assert.Equal(("UnknownArchitecture", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.Contains("lenet5", e.Message);
        e = LoadFails(TestPaths.Fixture("lenet5_state_dict.pt"), null);
        Assert.Equal(("ArchitectureRequired", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        e = LoadFails(TestPaths.Fixture("lenet5_scripted.pt"), null, "cuda");
        Assert.Equal(("CudaNotInThisBuild", EngineErrorKind.NotInstalled), (e.ErrorId, e.Kind));
        Assert.Contains("-p:TorchBackend=cuda", e.Message);
    }

    [Fact]
    public void Pickles_naming_anything_but_tensors_and_plain_values_are_refused()
    {
        // GLOBAL os.system; "ls"; TUPLE1; REDUCE; STOP: what a hostile pickle looks like.
        var hostile = Encoding.Latin1.GetBytes("\u0080\u0002cos\nsystem\nX\u0002\u0000\u0000\u0000ls\u0085R.");
        var e = LoadFails(TorchZip(hostile));
        Assert.Equal(("UnsupportedPickleContent", EngineErrorKind.NotSupported), (e.ErrorId, e.Kind));
        Assert.Contains("'os.system'", e.Message);
        // torch.save(model) pickles the module's class: refused with advice to save the state_dict.
        var wholeModel = Encoding.Latin1.GetBytes("\u0080\u0002c__main__\nLeNet5\n)\u0081}b.");
        e = LoadFails(TorchZip(wholeModel));
        Assert.Equal("UnsupportedPickleContent", e.ErrorId);
        Assert.Contains("'__main__.LeNet5'", e.Message);
        Assert.Contains("state_dict()", e.Message);
        // An opcode torch.save never writes (INST).
        e = LoadFails(TorchZip(Encoding.Latin1.GetBytes("\u0080\u0002(ios\nsystem\n.")));
        Assert.Equal("UnsupportedPickleContent", e.ErrorId);
    }

    [Fact]
    public void Damaged_pickles_and_storages_are_invalid_files()
    {
        var good = File.ReadAllBytes(TestPaths.Fixture("lenet5_state_dict.pt"));
        byte[] pickle;
        using (var zip = ZipFile.OpenRead(TestPaths.Fixture("lenet5_state_dict.pt")))
        using (var s = zip.GetEntry("lenet5_state_dict/data.pkl")!.Open())
        using (var m = new MemoryStream()) { s.CopyTo(m); pickle = m.ToArray(); }
        var e = LoadFails(TorchZip(pickle[..(pickle.Length / 2)]));
        Assert.Equal(("InvalidModelFile", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        // The pickle is whole but its storages are missing.
        e = LoadFails(TorchZip(pickle));
        Assert.Equal("InvalidModelFile", e.ErrorId);
        Assert.Contains("data/0", e.Message);
        // A storage shorter than its tensors need.
        var storages = Enumerable.Range(0, 10).Select(i => (i.ToString(), new byte[8])).ToArray();
        e = LoadFails(TorchZip(pickle, storages));
        Assert.Equal(("TruncatedModelFile", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.NotEmpty(good);
    }

    [Fact]
    public void Archives_without_a_dict_of_tensors_say_what_they_hold()
    {
        // {"epoch": 3, "arch": "x"}: a checkpoint without weights.
        var pickle = Encoding.Latin1.GetBytes("\u0080\u0002}(X\u0005\u0000\u0000\u0000epochK\u0003X\u0004\u0000\u0000\u0000archX\u0001\u0000\u0000\u0000xu.");
        var e = LoadFails(TorchZip(pickle));
        Assert.Equal(("StateDictNotFound", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains("'epoch', 'arch'", e.Message);
        e = LoadFails(TorchZip(Encoding.Latin1.GetBytes("\u0080\u0002]K\u0001a.")));
        Assert.Equal("StateDictNotFound", e.ErrorId);
        Assert.Contains("list", e.Message);
    }

    [Fact]
    public void SafeTensors_round_trip_every_dtype_with_metadata_and_padding()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "all.safetensors");
        var tensors = new (string, Tensor)[]
        {
            ("f32", randn(2, 3)), ("f16", randn(3).to(float16)), ("bf16", randn(5).to(bfloat16)), ("f64", randn(2).to(float64)),
            ("i64", tensor(new long[] { -(1L << 40), 7 })), ("i32", tensor(new[] { -5, 6 })), ("i16", tensor(new short[] { -3, 300 })),
            ("i8", tensor(new sbyte[] { -128, 127 })), ("u8", tensor(new byte[] { 0, 255 })), ("bool", tensor(new[] { true, false, true })),
            ("scalar", tensor(2.5f)), ("empty", zeros(0, 3)), ("strided", arange(12f).reshape(3, 4).t()),
        };
        SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v" });
        var (_, metadata, dataStart) = SafeTensorsFile.ReadHeader(path);
        Assert.Equal(0, dataStart % 8);
        Assert.Equal("v", metadata["k"]);
        var back = SafeTensorsFile.Read(path);
        foreach (var (name, t) in tensors)
        {
            Assert.True(t.dtype == back[name].dtype, name);
            Assert.Equal(t.shape, back[name].shape);
            Assert.Equal(t.contiguous().bytes.ToArray(), back[name].bytes.ToArray());
        }
        Assert.Equal(tensors.Select(t => t.Item1), back.Keys); // file order kept
        foreach (var t in back.Values.Concat(tensors.Select(t => t.Item2))) t.Dispose();
        Directory.Delete(dir, true);
    }

    [Fact]
    public void SafeTensors_writer_refuses_bad_names_and_types_before_creating_the_file()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "bad.safetensors");
        using var a = ones(2);
        using var c = ones(2, dtype: complex64);
        var e = Throws(() => SafeTensorsFile.Write(path, new[] { ("a", a), ("a", a) }));
        Assert.Equal(("InvalidTensorName", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        e = Throws(() => SafeTensorsFile.Write(path, new[] { ("__metadata__", a) }));
        Assert.Equal("InvalidTensorName", e.ErrorId);
        e = Throws(() => SafeTensorsFile.Write(path, new[] { ("a", a), ("c", c) }));
        Assert.Equal(("UnsupportedTensorType", EngineErrorKind.NotSupported), (e.ErrorId, e.Kind));
        Assert.False(File.Exists(path));
        Directory.Delete(dir, true);
    }

    /// <summary>A safetensors file with the given header text and data bytes.</summary>
    private static string SafeTensors(string header, int dataBytes)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = BitConverter.GetBytes((ulong)h.Length).Concat(h).Concat(new byte[dataBytes]).ToArray();
        return Temp("crafted.safetensors", bytes);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "TruncatedModelFile", "need 8 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "InvalidModelFile", "follow the last tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "InvalidModelFile", "span 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "InvalidModelFile", "overlapping")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "InvalidModelFile", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""", 8, "InvalidModelFile", "lacks")]
    [InlineData("""{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", 8, "UnsupportedTensorType", "C64")]
    [InlineData("""{"a": [1, 2""", 8, "InvalidModelFile", "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}""", 8, "InvalidModelFile", "more elements than")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}""", 0, "InvalidModelFile", "more bytes than")]
    public void SafeTensors_reader_validates_the_header_before_reading(string header, int dataBytes, string errorId, string says)
    {
        var e = LoadFails(SafeTensors(header, dataBytes));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Contains(says, e.Message);
    }

    [Fact]
    public void SafeTensors_cut_inside_the_header_or_data_is_truncated()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "w.safetensors");
        using (var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" }))
            ModelExporter.Export(model, path, ModelFileFormat.SafeTensors, overwrite: false);
        var bytes = File.ReadAllBytes(path);
        foreach (var length in new[] { 60, bytes.Length - 1 })
        {
            var e = LoadFails(Temp("cut.safetensors", bytes[..length]));
            Assert.Equal(("TruncatedModelFile", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        }
        Directory.Delete(dir, true);
    }
}
