using System.Buffers.Binary;
using System.Text;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Compact;

public class CompactBadInputTests
{
    private static byte[] ValidFile(bool torchScript = false)
    {
        using var model = torchScript
            ? ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions())
            : ModelLoader.New(new ModelLoadOptions { Architecture = "mlp", HiddenSizes = new[] { 16 }, InputSize = 8, Seed = 1 });
        return CompactWriter.Encode(model).File;
    }

    private static EngineException LoadFails(byte[] file)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "bad.cpz");
        File.WriteAllBytes(path, file);
        return Assert.ThrowsAny<EngineException>(() => ModelLoader.Load(path, new ModelLoadOptions()));
    }

    /// <summary>A JSON section's body as version 2 writes it (one byte stream).</summary>
    private static byte[] Text(string json) => CompactWriter.Text(Encoding.UTF8.GetBytes(json));

    /// <summary>Rewrites one section (checksums recomputed), as a file that is intact but describes something else.</summary>
    internal static byte[] WithSection(byte[] file, string kind, byte[] body)
    {
        var sections = CompactContainer.Read(file, "test").Select(s => s.Kind == kind ? new CompactSection(kind, body) : s).ToList();
        return CompactContainer.Write(sections);
    }

    [Fact]
    public void A_truncated_file_is_CompactTruncated()
    {
        var file = ValidFile();
        foreach (var length in new[] { file.Length - 1, file.Length / 2, CompactFormat.HeaderLength + 3, 30, 9 })
        {
            var e = LoadFails(file[..length]);
            Assert.Equal("CompactTruncated", e.ErrorId);
            Assert.Equal(EngineErrorKind.InvalidData, e.Kind);
        }
    }

    [Fact]
    public void A_flipped_byte_is_CompactChecksumMismatch()
    {
        var file = ValidFile();
        foreach (var at in new[] { 20, CompactFormat.HeaderLength + 30, file.Length / 2, file.Length - 1 })
        {
            var bad = (byte[])file.Clone();
            bad[at] ^= 0x10;
            Assert.Equal("CompactChecksumMismatch", LoadFails(bad).ErrorId);
        }
        Assert.Equal("CompactChecksumMismatch", LoadFails(file.Concat(new byte[] { 0 }).ToArray()).ErrorId);
    }

    [Fact]
    public void An_unknown_version_is_CompactVersionUnsupported()
    {
        var file = ValidFile();
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), 99);
        var e = LoadFails(file);
        Assert.Equal("CompactVersionUnsupported", e.ErrorId);
        Assert.Equal(EngineErrorKind.NotSupported, e.Kind);
        Assert.Contains("version 99", e.Message);
    }

    [Fact]
    public void An_unknown_architecture_is_CompactArchitectureUnavailable()
    {
        var file = WithSection(ValidFile(), CompactFormat.ArchitectureSection, Text("""{"architecture":"vgg99","num-classes":10}"""));
        var e = LoadFails(file);
        Assert.Equal("CompactArchitectureUnavailable", e.ErrorId);
        Assert.Contains("vgg99", e.Message);
    }

    [Fact]
    public void A_TorchScript_archive_that_does_not_load_is_CompactArchitectureUnavailable()
    {
        // A directory of one entry that is not a TorchScript archive's.
        var garbage = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("not a torchscript archive ", 20)));
        var stripped = new byte[] { 1, 9 }.Concat(Encoding.ASCII.GetBytes("archive/x")).Concat(new byte[] { 0, (byte)(garbage.Length & 0x7F | 0x80), (byte)(garbage.Length >> 7) }).Concat(garbage).ToArray();
        var e = LoadFails(WithSection(ValidFile(torchScript: true), CompactFormat.TorchScriptSection, CompactBlob.Encode(stripped).ToBytes()));
        Assert.Equal("CompactArchitectureUnavailable", e.ErrorId);
        Assert.Contains("cannot be loaded", e.Message);

        var notBrotli = WithSection(ValidFile(torchScript: true), CompactFormat.TorchScriptSection, new byte[] { (byte)StreamCodec.Brotli, 100, 4, 0xFF, 0xFF, 0xFF, 0xFF });
        Assert.Equal("CompactArchitectureUnavailable", LoadFails(notBrotli).ErrorId);
        var cutShort = WithSection(ValidFile(torchScript: true), CompactFormat.TorchScriptSection, CompactBlob.Encode(stripped[..^5]).ToBytes());
        Assert.Contains("cut short", LoadFails(cutShort).Message);
    }

    [Fact]
    public void Tensors_that_do_not_fit_the_architecture_are_CompactTensorMismatch()
    {
        var file = ValidFile();
        var other = WithSection(file, CompactFormat.ArchitectureSection, Text("""{"architecture":"mlp","input-size":8,"hidden-sizes":[17]}"""));
        var e = LoadFails(other);
        Assert.Equal("CompactTensorMismatch", e.ErrorId);
        Assert.Contains("fc", e.Message);
    }

    [Fact]
    public void Damaged_sections_with_valid_checksums_are_CompactInvalid()
    {
        var file = ValidFile();
        Assert.Equal("CompactInvalid", LoadFails(WithSection(file, CompactFormat.TensorSection, new byte[] { 5, 1, 2 })).ErrorId);
        Assert.Equal("CompactInvalid", LoadFails(WithSection(file, CompactFormat.HistorySection, Text("{not json"))).ErrorId);
        Assert.Equal("CompactInvalid", LoadFails(WithSection(file, CompactFormat.HistorySection, Encoding.UTF8.GetBytes("[]"))).ErrorId);
        var sections = CompactContainer.Read(file, "t").Where(s => s.Kind != CompactFormat.MetadataSection).ToList();
        Assert.Equal("CompactInvalid", LoadFails(CompactContainer.Write(sections)).ErrorId);
    }

    [Fact]
    public void Asking_for_Compact_on_another_format_is_NotCompactFile()
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "m.tsw");
        using (var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" }))
            ModelExporter.Export(model, path, ModelFileFormat.TorchSharp, false);
        var e = Assert.Throws<EngineException>(() => ModelLoader.Load(path, new ModelLoadOptions { Format = ModelFileFormat.Compact }));
        Assert.Equal("NotCompactFile", e.ErrorId);
    }
}
