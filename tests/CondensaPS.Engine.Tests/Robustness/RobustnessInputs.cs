using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Strategies;
using CondensaPS.Engine.Tests.Compact;
using CondensaPS.Engine.Tests.Support;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Robustness;

/// <summary>
/// One kind of input CondensaPS reads, in the robustness suite: its seed files, how it is read (the engine entry
/// point a cmdlet uses), a fingerprint of what was read (to tell a harmless mutation from a silent change), and
/// which bytes a mutation may flip. Formats without a checksum (safetensors, TorchSharp weights, IDX, CIFAR-10, JPEG)
/// store any payload bytes as values, so flips there are confined to the structure (headers, names, lengths): a
/// flipped weight in such a file is a different valid file, which no reader can tell.
/// </summary>
internal sealed record InputKind(
    string Name,
    IReadOnlyList<string> Files,
    Func<string[], string> Read,
    Func<byte[], string, IReadOnlyList<(long Start, long End)>> FlippableRanges,
    Func<byte[], string, IReadOnlyList<HeaderField>> HeaderFields,
    bool TextVariantsAreValid = false);

/// <summary>
/// A structural number in a file (a length, a count, a dimension, an offset) that a mutation may lie about. Where
/// the number is data that any value up to <see cref="InvalidFrom"/> may take (a CIFAR-10 label), only lies from
/// there on are told: a label of 3 instead of 2 is a different valid file.
/// </summary>
internal sealed record HeaderField(long Offset, int Width, bool BigEndian, string What, ulong InvalidFrom = 0);

/// <summary>The seed inputs of the suite, made in a folder once per run (by PyTorch-made fixtures and engine writers).</summary>
internal static class RobustnessInputs
{
    private static IReadOnlyList<(long, long)> Whole(byte[] b, string _) => new[] { (0L, (long)b.Length) };

    private static string Fingerprint(CompressionModel model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        void Add(string name, Tensor t)
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}:{t.dtype}:{string.Join("x", t.shape)};"));
            sha.AppendData(t.detach().cpu().contiguous().bytes);
        }
        foreach (var (name, t) in model.NamedParameters().OrderBy(p => p.Name, StringComparer.Ordinal)) Add(name, t);
        foreach (var (name, t) in model.NamedBuffers().OrderBy(p => p.Name, StringComparer.Ordinal)) Add(name, t);
        foreach (var (name, t) in model.Masks.OrderBy(p => p.Key, StringComparer.Ordinal)) Add("mask:" + name, t);
        sha.AppendData(Encoding.UTF8.GetBytes($"{model.Architecture};{model.IsTraced};{model.History.Count};{string.Join(",", model.Quantization.Keys.Order(StringComparer.Ordinal))}"));
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static string Fingerprint(IReadOnlyDictionary<string, Tensor> state)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, t) in state.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}:{t.dtype}:{string.Join("x", t.shape)};"));
            sha.AppendData(t.contiguous().bytes);
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static string Fingerprint(Dataset data)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{data.Shape};{data.Classes};{string.Join(",", data.ClassNames)};{string.Join(",", data.Labels)};"));
        sha.AppendData(data.Pixels);
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>A strategy as compiled: its name, parameter values and every step's settings.</summary>
    private static string Fingerprint(StrategyPlan plan)
    {
        static string Text(object? v) => v is System.Collections.IEnumerable e and not string
            ? "[" + string.Join(",", e.Cast<object?>().Select(Text)) + "]"
            : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        return plan.Document.Name + "|" + string.Join(",", plan.Parameters.Select(p => $"{p.Key}={Text(p.Value)}")) + "|" +
            string.Join(";", plan.Steps.Select(s => s.Name + "(" + string.Join(",", s.Settings.Entries.Select(e => $"{e.Key}={Text(e.Value)}")) + ")"));
    }

    private static string LoadModel(string path, string? architecture = null, int inputSize = 0, IReadOnlyList<int>? hidden = null)
    {
        using var model = ModelLoader.Load(path, new ModelLoadOptions { Architecture = architecture, InputSize = inputSize, HiddenSizes = hidden });
        return Fingerprint(model);
    }

    private static string ReadStateDict(string path)
    {
        var state = StateDictReader.Read(path, ModelFileFormat.PyTorchStateDict);
        try { return Fingerprint(state); }
        finally { foreach (var t in state.Values) t.Dispose(); }
    }

    private static readonly int[] TinyHidden = { 16 };
    private const int TinyInput = 8;

    /// <summary>Makes the seed inputs in <paramref name="dir"/> and returns the kinds that read them.</summary>
    public static IReadOnlyList<InputKind> Make(string dir)
    {
        Directory.CreateDirectory(dir);
        string Copy(string fixture, string name)
        {
            var path = Path.Combine(dir, name);
            File.Copy(TestPaths.Fixture(fixture), path, overwrite: true);
            return path;
        }
        var kinds = new List<InputKind>
        {
            new("torchscript-scripted", new[] { Copy("bn_cnn_scripted.pt", "scripted.pt") }, p => LoadModel(p[0]), Whole, ZipFields),
            new("torchscript-traced", new[] { Copy("bn_cnn_traced.pt", "traced.pt") }, p => LoadModel(p[0]), Whole, ZipFields),
            new("state-dict", new[] { Copy("lenet5_state_dict.pt", "lenet5_state_dict.pt") }, p => LoadModel(p[0], "lenet5"), Whole, ZipFields),
            new("checkpoint", new[] { Copy("lenet5_checkpoint.pth", "lenet5_checkpoint.pth") }, p => LoadModel(p[0], "lenet5"), Whole, ZipFields),
            new("state-dict-dtypes", new[] { Copy("dtypes_state_dict.pt", "dtypes_state_dict.pt") }, p => ReadStateDict(p[0]), Whole, ZipFields),
        };

        TorchRuntime.EnsureInitialized();
        random.manual_seed(7);
        using (var tiny = ModelLoader.New(new ModelLoadOptions { Architecture = "mlp", InputSize = TinyInput, HiddenSizes = TinyHidden }))
        {
            var safetensors = Path.Combine(dir, "tiny.safetensors");
            ModelExporter.Export(tiny, safetensors, ModelFileFormat.SafeTensors, overwrite: true);
            kinds.Add(new("safetensors", new[] { safetensors }, p => LoadModel(p[0]), SafeTensorsHeader, SafeTensorsFields));
            var weights = Path.Combine(dir, "tiny.dat");
            ModelExporter.Export(tiny, weights, ModelFileFormat.TorchSharp, overwrite: true);
            kinds.Add(new("torchsharp-weights", new[] { weights }, p => LoadModel(p[0], "mlp", TinyInput, TinyHidden), TorchSharpStructure, TorchSharpFields));
            using var compressed = tiny.Clone();
            TestCompression.Prune(compressed, 0.5);
            TestCompression.Quantize(compressed, StorageType.Int8);
            var builtInScript = Path.Combine(dir, "tiny.pt");
            ModelExporter.Export(tiny, builtInScript, ModelFileFormat.TorchScript, overwrite: true);
            kinds.Add(new("torchscript-builtin", new[] { builtInScript }, p => LoadModel(p[0]), Whole, ZipFields));
            var compact = Path.Combine(dir, "tiny.cpz");
            ModelExporter.Export(compressed, compact, ModelFileFormat.Compact, overwrite: true);
            kinds.Add(new("compact", new[] { compact }, p => LoadModel(p[0]), Whole, CompactFields));
        }
        using (var script = ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions()))
        {
            var compact = Path.Combine(dir, "tiny_convnet.cpz");
            ModelExporter.Export(script, compact, ModelFileFormat.Compact, overwrite: true);
            kinds.Add(new("compact-torchscript", new[] { compact }, p => LoadModel(p[0]), Whole, CompactFields));
        }

        var (images, labels) = MakeIdx(dir, gzip: false);
        kinds.Add(new("idx", new[] { images, labels }, p => Fingerprint(IdxReader.Read(p[0], p[1])), IdxHeader, IdxFields));
        var (imagesGz, labelsGz) = MakeIdx(dir, gzip: true);
        kinds.Add(new("idx-gz", new[] { imagesGz, labelsGz }, p => Fingerprint(IdxReader.Read(p[0], p[1])), Whole, (_, _) => Array.Empty<HeaderField>()));
        var cifar = MakeCifar(dir);
        kinds.Add(new("cifar10", new[] { cifar }, p => Fingerprint(Cifar10Reader.Read(p)), CifarNone, CifarFields));
        kinds.Add(new("image-folder-png", MakeImageFolder(Path.Combine(dir, "png"), SKEncodedImageFormat.Png, "png"),
            p => Fingerprint(ImageFolderReader.Read(Path.GetDirectoryName(Path.GetDirectoryName(p[0]))!)), Whole, PngFields));
        kinds.Add(new("image-folder-jpeg", MakeImageFolder(Path.Combine(dir, "jpeg"), SKEncodedImageFormat.Jpeg, "jpg"),
            p => Fingerprint(ImageFolderReader.Read(Path.GetDirectoryName(Path.GetDirectoryName(p[0]))!)), JpegFrame, JpegFields));
        var dataSafetensors = MakeSafeTensorsDataset(dir);
        kinds.Add(new("safetensors-dataset", new[] { dataSafetensors }, p => Fingerprint(SafeTensorsDatasetReader.Read(p[0])), SafeTensorsHeader, SafeTensorsFields));

        foreach (var yaml in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "examples", "strategies"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var path = Path.Combine(dir, Path.GetFileName(yaml));
            File.Copy(yaml, path, overwrite: true);
            kinds.Add(new("strategy-" + Path.GetFileNameWithoutExtension(yaml), new[] { path },
                p => Fingerprint(StrategyPlan.Load(p[0])), Whole, (_, _) => Array.Empty<HeaderField>(), TextVariantsAreValid: true));
        }
        return kinds;
    }

    private static (string Images, string Labels) MakeIdx(string dir, bool gzip)
    {
        const int count = 12, side = 6;
        var rng = new Random(3);
        var images = new byte[16 + count * side * side];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images, IdxReader.ImageMagic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), side);
        rng.NextBytes(images.AsSpan(16));
        var labels = new byte[8 + count];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels, IdxReader.LabelMagic);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), count);
        for (int i = 0; i < count; i++) labels[8 + i] = (byte)(i % 10);
        string Write(string name, byte[] bytes)
        {
            var path = Path.Combine(dir, name + (gzip ? ".gz" : ""));
            if (!gzip) { File.WriteAllBytes(path, bytes); return path; }
            using var file = File.Create(path);
            using var gz = new GZipStream(file, CompressionLevel.Optimal);
            gz.Write(bytes);
            return path;
        }
        return (Write("tiny-images-idx3-ubyte", images), Write("tiny-labels-idx1-ubyte", labels));
    }

    private static string MakeCifar(string dir)
    {
        var rng = new Random(5);
        var bytes = new byte[6 * Cifar10Reader.RecordBytes];
        rng.NextBytes(bytes);
        for (int r = 0; r < 6; r++) bytes[r * Cifar10Reader.RecordBytes] = (byte)(r % 10);
        var path = Path.Combine(dir, "data_batch_1.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string[] MakeImageFolder(string root, SKEncodedImageFormat format, string extension)
    {
        var rng = new Random(11);
        var files = new List<string>();
        foreach (var cls in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < 2; i++)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(8, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                        bitmap.SetPixel(x, y, new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
                using var data = bitmap.Encode(format, 90);
                var path = Path.Combine(root, cls, $"{i}.{extension}");
                File.WriteAllBytes(path, data.ToArray());
                files.Add(path);
            }
        }
        return files.ToArray();
    }

    private static string MakeSafeTensorsDataset(string dir)
    {
        var path = Path.Combine(dir, "tiny-data.safetensors");
        using var images = randint(0, 256, new long[] { 5, 1, 4, 4 }, dtype: ScalarType.Byte);
        using var labels = tensor(new long[] { 0, 1, 2, 1, 0 });
        SafeTensorsFile.Write(path, new[] { ("images", images), ("labels", labels) }, new Dictionary<string, string> { ["classes"] = "a,b,c" });
        return path;
    }

    // ---- Where mutations may flip bits, and which numbers they may lie about, per format ----

    /// <summary>
    /// The 8-byte length and the JSON header of a safetensors file, less its "__metadata__" object: the tensor bytes
    /// are unchecked payload, and so are the metadata's strings (a data set's class names, a model's name).
    /// </summary>
    private static IReadOnlyList<(long, long)> SafeTensorsHeader(byte[] b, string _)
    {
        long end = Math.Min(b.Length, 8 + (long)BitConverter.ToUInt64(b, 0));
        int key = b.AsSpan(0, (int)end).IndexOf("\"__metadata__\""u8);
        if (key < 0) return new[] { (0L, end) };
        int open = b.AsSpan(key, (int)end - key).IndexOf((byte)'{') + key;
        int close = b.AsSpan(open, (int)end - open).IndexOf((byte)'}') + open;
        return new[] { (0L, (long)open + 1), ((long)close, end) };
    }

    /// <summary>The header length, and every number inside the JSON header (shapes and data_offsets).</summary>
    private static IReadOnlyList<HeaderField> SafeTensorsFields(byte[] b, string _)
    {
        var fields = new List<HeaderField> { new(0, 8, false, "header length") };
        long end = Math.Min(b.Length, 8 + (long)BitConverter.ToUInt64(b, 0));
        for (long i = 8; i < end; i++)
            if (char.IsAsciiDigit((char)b[i]) && !char.IsAsciiDigit((char)b[i - 1]))
            {
                long j = i;
                while (j < end && char.IsAsciiDigit((char)b[j])) j++;
                fields.Add(new HeaderField(i, (int)(j - i), false, "json-number"));
            }
        return fields;
    }

    /// <summary>A TorchSharp weights file's structure: counts, names, types, ranks and dimensions (not the values).</summary>
    private static IReadOnlyList<(long, long)> TorchSharpStructure(byte[] b, string _)
    {
        var ranges = new List<(long, long)>();
        using var reader = new BinaryReader(new MemoryStream(b), Encoding.UTF8);
        long start = 0;
        long count = Leb128.Read(reader);
        for (long i = 0; i < count; i++)
        {
            reader.ReadString();
            var type = (ScalarType)Leb128.Read(reader);
            long rank = Leb128.Read(reader);
            long numel = 1;
            for (int d = 0; d < rank; d++) numel *= Leb128.Read(reader);
            ranges.Add((start, reader.BaseStream.Position));
            using var probe = empty(0, type);
            reader.BaseStream.Position += numel * probe.element_size();
            start = reader.BaseStream.Position;
        }
        return ranges;
    }

    private static IReadOnlyList<HeaderField> TorchSharpFields(byte[] b, string _) =>
        TorchSharpStructure(b, _).Select(r => new HeaderField(r.Item1, 1, false, "leb128")).Prepend(new HeaderField(0, 1, false, "entry count")).ToList();

    private static IReadOnlyList<(long, long)> IdxHeader(byte[] b, string path) =>
        new[] { (0L, Math.Min(b.Length, path.Contains("images") ? 16L : 8L)) };

    private static IReadOnlyList<HeaderField> IdxFields(byte[] b, string path) => path.Contains("images")
        ? new[] { new HeaderField(4, 4, true, "count"), new HeaderField(8, 4, true, "rows"), new HeaderField(12, 4, true, "columns") }
        : new[] { new HeaderField(4, 4, true, "count") };

    /// <summary>
    /// A CIFAR-10 batch has no structure but its record length: labels and pixels are both data, so no byte may be
    /// flipped, and only labels of 10 and more are lies a reader can catch.
    /// </summary>
    private static IReadOnlyList<(long, long)> CifarNone(byte[] b, string _) => Array.Empty<(long, long)>();

    private static IReadOnlyList<HeaderField> CifarFields(byte[] b, string _) =>
        Enumerable.Range(0, b.Length / Cifar10Reader.RecordBytes).Select(r => new HeaderField((long)r * Cifar10Reader.RecordBytes, 1, false, "label", InvalidFrom: 10)).ToList();

    /// <summary>
    /// A JPEG's frame precision, height and width (in its SOFn header): everything else, tables, sampling factors,
    /// table selectors and the entropy-coded data, are values without a checksum, where a flip decodes to other pixels.
    /// </summary>
    private static IReadOnlyList<(long, long)> JpegFrame(byte[] b, string _)
    {
        for (int i = 2; i + 8 < b.Length; i++)
            if (b[i] == 0xFF && b[i + 1] is >= 0xC0 and <= 0xC3)
                return new[] { ((long)i + 4, (long)i + 9) };
        return new[] { (0L, (long)Math.Min(b.Length, 4)) };
    }

    private static IReadOnlyList<HeaderField> JpegFields(byte[] b, string _)
    {
        var frame = JpegFrame(b, _)[0];
        return new[] { new HeaderField(frame.Item1 + 1, 2, true, "height"), new HeaderField(frame.Item1 + 3, 2, true, "width") };
    }

    private static IReadOnlyList<HeaderField> PngFields(byte[] b, string _) =>
        new[] { new HeaderField(16, 4, true, "width"), new HeaderField(20, 4, true, "height"), new HeaderField(8, 4, true, "IHDR length") };

    /// <summary>The compact header's counts and lengths (the header CRC covers them, so a lie must be caught).</summary>
    private static IReadOnlyList<HeaderField> CompactFields(byte[] b, string _) =>
        new[] { new HeaderField(8, 2, false, "version"), new HeaderField(12, 4, false, "section count"), new HeaderField(16, 8, false, "payload length") };

    /// <summary>The zip fields every reader trusts: sizes, offsets, counts and name lengths, in local and central headers.</summary>
    private static IReadOnlyList<HeaderField> ZipFields(byte[] b, string _)
    {
        var fields = new List<HeaderField>();
        for (int i = 0; i + 46 <= b.Length; i++)
        {
            if (b[i] != 'P' || b[i + 1] != 'K') continue;
            if (b[i + 2] == 3 && b[i + 3] == 4)
            {
                fields.Add(new(i + 18, 4, false, "local compressed size"));
                fields.Add(new(i + 22, 4, false, "local size"));
                fields.Add(new(i + 26, 2, false, "local name length"));
                fields.Add(new(i + 28, 2, false, "local extra length"));
            }
            else if (b[i + 2] == 1 && b[i + 3] == 2)
            {
                fields.Add(new(i + 20, 4, false, "central compressed size"));
                fields.Add(new(i + 24, 4, false, "central size"));
                fields.Add(new(i + 28, 2, false, "central name length"));
                fields.Add(new(i + 42, 4, false, "local header offset"));
            }
            else if (b[i + 2] == 5 && b[i + 3] == 6)
            {
                fields.Add(new(i + 10, 2, false, "entry count"));
                fields.Add(new(i + 12, 4, false, "central directory size"));
                fields.Add(new(i + 16, 4, false, "central directory offset"));
            }
            else if (b[i + 2] == 6 && b[i + 3] == 6)
            {
                fields.Add(new(i + 32, 8, false, "zip64 entry count"));
                fields.Add(new(i + 40, 8, false, "zip64 central directory size"));
                fields.Add(new(i + 48, 8, false, "zip64 central directory offset"));
            }
        }
        return fields;
    }
}
