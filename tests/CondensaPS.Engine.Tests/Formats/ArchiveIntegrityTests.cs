using System.IO.Compression;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;

namespace CondensaPS.Engine.Tests.Formats;

/// <summary>
/// Zip archives from PyTorch (TorchScript and state dicts) carry a CRC-32 per member; a damaged member is refused with
/// an ErrorId and the member's name before libtorch or the unpickler sees it.
/// </summary>
public class ArchiveIntegrityTests
{
    /// <summary>The offset of a member's data in the file, read from its local header.</summary>
    internal static long DataOffset(byte[] bytes, string member)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(member);
        for (int i = 0; i + 30 + name.Length <= bytes.Length; i++)
        {
            if (bytes[i] != 'P' || bytes[i + 1] != 'K' || bytes[i + 2] != 3 || bytes[i + 3] != 4) continue;
            int nameLength = BitConverter.ToUInt16(bytes, i + 26), extraLength = BitConverter.ToUInt16(bytes, i + 28);
            if (nameLength == name.Length && bytes.AsSpan(i + 30, nameLength).SequenceEqual(name))
                return i + 30 + nameLength + extraLength;
        }
        throw new InvalidOperationException($"member '{member}' not found");
    }

    private static string Member(string path, Func<string, bool> match)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Where(e => match(e.FullName)).OrderByDescending(e => e.Length).First().FullName;
    }

    private static string Damaged(string fixture, Func<string, bool> member, out string name)
    {
        var source = TestPaths.Fixture(fixture);
        name = Member(source, member);
        var bytes = File.ReadAllBytes(source);
        long middle = DataOffset(bytes, name) + 64;
        for (int i = 0; i < 16; i++) bytes[middle + i] ^= 0x5A;
        var path = Path.Combine(TestPaths.NewTempFolder(), fixture);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("lenet5_scripted.pt", null)]
    [InlineData("lenet5_state_dict.pt", "lenet5")]
    public void A_damaged_tensor_member_fails_its_CRC_and_the_error_names_it(string fixture, string? architecture)
    {
        var path = Damaged(fixture, n => n.Contains("/data/", StringComparison.Ordinal), out var member);
        var e = Throws(() => ModelLoader.Load(path, new ModelLoadOptions { Architecture = architecture }).Dispose());
        Assert.Equal(("ArchiveChecksumMismatch", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains($"'{member}'", e.Message);
        Assert.Contains("CRC-32", e.Message);
    }

    [Fact]
    public void A_damaged_code_member_of_TorchScript_fails_its_CRC()
    {
        var path = Damaged("bn_cnn_scripted.pt", n => n.EndsWith(".pkl", StringComparison.Ordinal), out var member);
        var e = Throws(() => ModelLoader.Load(path, new ModelLoadOptions()).Dispose());
        Assert.Equal("ArchiveChecksumMismatch", e.ErrorId);
        Assert.Contains($"'{member}'", e.Message);
    }

    /// <summary>The archive with its code members deflated (PyTorch stores them; other zip tools deflate).</summary>
    private static string Deflated(string fixture)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), fixture);
        using var source = ZipFile.OpenRead(TestPaths.Fixture(fixture));
        using var target = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in source.Entries)
        {
            var level = entry.FullName.EndsWith(".py", StringComparison.Ordinal) ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
            using var from = entry.Open();
            using var to = target.CreateEntry(entry.FullName, level).Open();
            from.CopyTo(to);
        }
        return path;
    }

    [Fact]
    public void A_corrupted_deflated_member_is_named_not_a_raw_InvalidDataException()
    {
        var path = Deflated("lenet5_scripted.pt");
        string member;
        using (var zip = ZipFile.OpenRead(path))
            member = zip.Entries.First(e => e.FullName.EndsWith(".py", StringComparison.Ordinal) && e.CompressedLength < e.Length).FullName;
        var bytes = File.ReadAllBytes(path);
        bytes[DataOffset(bytes, member)] = 0x07; // a final block of the reserved type 3: not DEFLATE
        File.WriteAllBytes(path, bytes);
        var e = Throws(() => ModelLoader.Load(path, new ModelLoadOptions()).Dispose());
        Assert.Equal(("ArchiveMemberCorrupt", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains($"'{member}'", e.Message);
    }

    [Fact]
    public void A_member_whose_directory_record_marks_it_a_folder_is_refused()
    {
        // libtorch's reader (miniz) hands back nothing for a "folder" and the tensor loads as whatever memory held:
        // found by the robustness suite, where four overwritten bytes of external attributes changed the outputs.
        var bytes = File.ReadAllBytes(TestPaths.Fixture("bn_cnn_traced.pt"));
        int central = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8);
        bytes[central + 38] |= 0x10; // the MS-DOS folder attribute of the first member, bn_cnn_traced/data/0
        var path = Path.Combine(TestPaths.NewTempFolder(), "folder.pt");
        File.WriteAllBytes(path, bytes);
        var e = Throws(() => ModelLoader.Load(path, new ModelLoadOptions()).Dispose());
        Assert.Equal(("ArchiveMemberCorrupt", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));
        Assert.Contains("'bn_cnn_traced/data/0'", e.Message);
        Assert.Contains("marked as a folder", e.Message);
    }

    [Fact]
    public void Intact_archives_still_load()
    {
        using var scripted = ModelLoader.Load(TestPaths.Fixture("lenet5_scripted.pt"), new ModelLoadOptions());
        Assert.True(MaxDiff(scripted, "lenet5") < Tolerance);
        using var weights = ModelLoader.Load(TestPaths.Fixture("lenet5_state_dict.pt"), new ModelLoadOptions { Architecture = "lenet5" });
        Assert.True(MaxDiff(weights, "lenet5") < Tolerance);
    }
}
