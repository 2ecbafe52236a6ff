using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

/// <summary>
/// Files of the previous format version still read: tests/fixtures/compact/v1 holds version 1 files that the last
/// version 1 writer made (make_v1_fixtures.ps1), with the values they must read back to beside them.
/// </summary>
public class CompactVersion1Tests
{
    public static IEnumerable<object[]> Fixtures() => new[]
    {
        new object[] { "v1-lenet5", new[] { "prune", "quantize", "quantize" } },
        new object[] { "v1-tiny", new[] { "prune", "quantize" } },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Version_1_files_read_to_their_values_masks_records_and_history(string name, string[] steps)
    {
        var path = TestPaths.Fixture($"compact/v1/{name}.cpz");
        Assert.Equal(1, BitConverter.ToUInt16(File.ReadAllBytes(path), 8));
        using var model = ModelLoader.Load(path, new ModelLoadOptions());
        Assert.Equal(name, model.Name);
        Assert.Equal(steps, model.History.Select(h => h.Operation));
        var expected = SafeTensorsFile.Read(TestPaths.Fixture($"compact/v1/{name}.safetensors"));
        try
        {
            var actual = model.NamedParameters().Concat(model.NamedBuffers()).ToList();
            Assert.Equal(expected.Keys.OrderBy(k => k), actual.Select(t => t.Name).OrderBy(k => k));
            foreach (var (tensorName, tensor) in actual)
                Assert.True((tensor == expected[tensorName]).all().item<bool>(), $"'{tensorName}' differs from the values the version 1 writer had");
            // Magnitude pruning kept every non-zero weight, so each mask is exactly where its weight is not zero.
            Assert.NotEmpty(model.Masks);
            foreach (var (maskName, mask) in model.Masks)
                Assert.True((mask.ne(0) == expected[maskName].ne(0)).all().item<bool>(), $"mask '{maskName}'");
            Assert.Contains(model.Quantization.Values, q => q.Type == StorageType.Int8 && q.Scale is not null);
            if (name == "v1-lenet5")
            {
                Assert.Equal(StorageType.Float16, model.Quantization["fc1.weight"].Type);
                Assert.Equal(StorageType.Int8, model.Quantization["conv2.weight"].Type);
                Assert.False(model.Quantization.ContainsKey("fc3.weight"));
            }

            // Written again, as version 2, it reads back the same.
            var again = Path.Combine(TestPaths.NewTempFolder(), "again.cpz");
            ModelExporter.Export(model, again, ModelFileFormat.Compact, false);
            Assert.Equal(CompactFormat.Version, BitConverter.ToUInt16(File.ReadAllBytes(again), 8));
            Assert.True(new FileInfo(again).Length < new FileInfo(path).Length, "version 2 is not smaller than version 1");
            using var back = ModelLoader.Load(again, new ModelLoadOptions());
            using var input = name == "v1-tiny" ? randn(2, 1, 8, 8) : randn(2, 1, 28, 28);
            CompactAssert.SameModel(model, back, input);
            Assert.Equal(model.History.Select(h => h.ToString()), back.History.Select(h => h.ToString()));
        }
        finally
        {
            foreach (var t in expected.Values) t.Dispose();
        }
    }
}
