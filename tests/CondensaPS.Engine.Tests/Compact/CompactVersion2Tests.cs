using System.IO.Compression;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Formats.Compact;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Tests.Support;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Compact;

/// <summary>Version 2 of the compact format: cluster indices, entropy-coded streams, the stripped TorchScript code, and leaving the history out.</summary>
public class CompactVersion2Tests
{
    private static CompressionModel Run(string step, CompressionModel model, params (string Key, object? Value)[] settings)
    {
        var s = new StepSettings(step);
        foreach (var (k, v) in settings) s.Set(k, v);
        return OperationRunner.Run(step, model, s);
    }

    private static CompressionModel RoundTrip(CompressionModel model, CompactWriteOptions? options = null)
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), "m.cpz");
        File.WriteAllBytes(path, CompactWriter.Encode(model, options).File);
        return ModelLoader.Load(path, new ModelLoadOptions());
    }

    [Theory]
    [InlineData(false, 0.0, 4)]
    [InlineData(false, 0.9, 2)]
    [InlineData(true, 0.7, 5)]
    public void Clustered_models_round_trip_exactly_as_indices(bool torchScript, double ratio, int bits)
    {
        using var model = torchScript
            ? ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions())
            : ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 4 });
        using var pruned = ratio > 0 ? Run("prune", model, ("ratio", ratio)) : model.Clone();
        using var clustered = Run("quantize", pruned, ("type", "cluster"), ("bits", (long)bits));
        var encoding = CompactWriter.Encode(clustered);
        foreach (var info in encoding.Tensors.Where(t => clustered.Quantization.ContainsKey(t.Name)))
        {
            Assert.Equal(ValueStorage.ClusterIndex, info.Storage);
            Assert.Equal(ratio > 0 ? CompactLayout.Sparse : CompactLayout.Dense, info.Layout);
            // An index stream of n values at b bits costs about n * b / 8 bytes, not n.
            if (info.StoredValues > 2000) Assert.True(info.ValueBytes < info.StoredValues * (bits + 0.5) / 8, $"{info.Name}: {info.ValueBytes} bytes for {info.StoredValues} indices");
        }
        using var back = RoundTrip(clustered);
        using var input = torchScript ? randn(2, 1, 8, 8) : randn(2, 1, 28, 28);
        CompactAssert.SameModel(clustered, back, input);
        Assert.Equal($"cluster{bits}", back.DType);
    }

    [Fact]
    public void A_clustered_tensor_changed_off_its_codebook_keeps_raw_values_and_its_whole_record()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 5 });
        using var pruned = Run("prune", model, ("ratio", 0.5));
        using var clustered = Run("quantize", pruned, ("type", "cluster"), ("bits", 3L));
        using (no_grad()) clustered.Parameter("fc2.weight").mul_(1.5f);
        var info = CompactWriter.Encode(clustered).Tensors.Single(t => t.Name == "fc2.weight");
        Assert.Equal(ValueStorage.Raw, info.Storage);
        using var back = RoundTrip(clustered);
        using var input = randn(2, 1, 28, 28);
        CompactAssert.SameModel(clustered, back, input);
        Assert.True((clustered.Quantization["fc2.weight"].Indices! == back.Quantization["fc2.weight"].Indices!).all().item<bool>());
    }

    [Fact]
    public void Clustered_then_pruned_weights_store_only_the_kept_indices()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 6 });
        using var clustered = Run("quantize", model, ("type", "cluster"), ("bits", 4L));
        using var pruned = Run("prune", clustered, ("ratio", 0.8));
        using var back = RoundTrip(pruned);
        using var input = randn(2, 1, 28, 28);
        CompactAssert.SameModel(pruned, back, input);
        Assert.All(CompactWriter.Encode(pruned).Tensors.Where(t => t.Shape.Count > 1), t => Assert.Equal(ValueStorage.ClusterIndex, t.Storage));
    }

    [Fact]
    public void Every_codec_round_trips_and_the_writer_keeps_the_smallest()
    {
        var random = new Random(2);
        var streams = new[]
        {
            Enumerable.Range(0, 3000).Select(_ => (byte)(random.NextDouble() < 0.8 ? random.Next(4) : random.Next(256))).ToArray(),
            System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("def forward(self, x): return self.fc(x)\n", 40))),
            new byte[] { 1, 2, 3 },
            Array.Empty<byte>(),
        };
        foreach (var raw in streams)
        {
            var sizes = new Dictionary<StreamCodec, int>();
            foreach (var codec in Enum.GetValues<StreamCodec>())
            {
                var blob = CompactBlob.Encode(raw, codec);
                sizes[codec] = blob.EncodedLength;
                using var reader = new BinaryReader(new MemoryStream(blob.ToBytes()));
                Assert.Equal(raw, CompactBlob.Read(reader, raw.Length, "test"));
            }
            var best = CompactBlob.Encode(raw, int.MaxValue);
            Assert.Equal(sizes.Values.Min(), best.EncodedLength);
        }
    }

    [Theory]
    [InlineData(new[] { 0, 254, 509, 510, 765, 1500 })]
    [InlineData(new[] { 254 })]
    [InlineData(new[] { 255 })]
    [InlineData(new int[0])]
    public void Byte_gaps_with_fillers_round_trip(int[] positions)
    {
        var kept = new bool[2000];
        foreach (var p in positions) kept[p] = true;
        var encoded = CompactPositions.Encode(kept, PositionEncoding.ByteGaps);
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) encoded.Write(writer);
        stream.Position = 0;
        using var reader = new BinaryReader(stream);
        Assert.Equal(kept, CompactPositions.Read(reader, kept.Length, "test"));
        var gaps = CompactPositions.ToByteGaps(kept);
        Assert.Equal(positions.Length + positions.Select((p, i) => (p - (i == 0 ? -1 : positions[i - 1]) - 1) / 255).Sum(), gaps.Length);
    }

    [Fact]
    public void TorchScript_code_is_stored_without_weights_or_debug_pickles_and_loads()
    {
        using var model = ModelLoader.Load(TestPaths.Fixture("compact/tiny_convnet.pt"), new ModelLoadOptions());
        var folder = TestPaths.NewTempFolder();
        var archive = Path.Combine(folder, "a.pt");
        using (var zeroed = model.Clone())
        {
            using (no_grad())
                foreach (var (_, t) in zeroed.NamedParameters().Concat(zeroed.NamedBuffers())) t.zero_();
            TorchSharp.torch.jit.save((TorchSharp.torch.jit.ScriptModule)zeroed.Module, archive);
        }
        var stripped = CompactTorchScript.Strip(archive);
        using (var zip = ZipFile.OpenRead(archive))
        {
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith(".debug_pkl"));
            // The tensor records are zeros and cost only their directory entries.
            long code = zip.Entries.Where(e => !e.FullName.EndsWith(".debug_pkl") && !e.FullName.Contains("/data/")).Sum(e => e.Length);
            Assert.InRange(stripped.Length, code, code + zip.Entries.Sum(e => e.FullName.Length + 4));
        }
        var rebuilt = Path.Combine(folder, "b.pt");
        CompactTorchScript.Rebuild(stripped, rebuilt);
        using (var zip = ZipFile.OpenRead(rebuilt)) Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".debug_pkl"));
        using var loaded = TorchSharp.torch.jit.load<Tensor, Tensor>(rebuilt);
        Assert.Equal(model.NamedParameters().Select(p => p.Name), loaded.named_parameters().Select(p => p.name));

        var encoding = CompactWriter.Encode(model);
        Assert.True(encoding.ArchitectureBytes < 2500, $"the TorchScript section takes {encoding.ArchitectureBytes} bytes");
    }

    [Fact]
    public void Leaving_the_history_out_reads_back_with_an_empty_history()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 7 });
        using var pruned = Run("prune", model, ("ratio", 0.9));
        var with = CompactWriter.Encode(pruned);
        var without = CompactWriter.Encode(pruned, new CompactWriteOptions { ExcludeHistory = true });
        Assert.Equal(0, without.HistoryBytes);
        Assert.Equal(with.File.Length - with.HistoryBytes - CompactFormat.SectionHeaderLength, without.File.Length);
        using var back = RoundTrip(pruned, new CompactWriteOptions { ExcludeHistory = true });
        Assert.Empty(back.History);
        using var input = randn(2, 1, 28, 28);
        CompactAssert.SameModel(pruned, back, input);
    }

    [Fact]
    public void A_broken_entropy_coded_stream_is_an_error_with_an_ErrorId_never_a_model()
    {
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5", Seed = 8 });
        using var pruned = Run("prune", model, ("ratio", 0.95), ("scope", "layer"));
        using var clustered = Run("quantize", pruned, ("type", "cluster"), ("bits", 3L));
        var file = CompactWriter.Encode(clustered).File;
        var folder = TestPaths.NewTempFolder();
        // Unforged damage: the checksums catch it.
        var flipped = (byte[])file.Clone();
        flipped[file.Length / 2] ^= 0x04;
        var path = Path.Combine(folder, "flipped.cpz");
        File.WriteAllBytes(path, flipped);
        Assert.Equal("CompactChecksumMismatch", Assert.Throws<EngineException>(() => ModelLoader.Load(path, new ModelLoadOptions())).ErrorId);
        // Damage with the checksums forged to match: every byte of the tensor section in turn, and the decoders answer.
        var tensors = CompactContainer.Read(file, "t").Single(s => s.Kind == CompactFormat.TensorSection).Body;
        var ids = new HashSet<string>();
        int loaded = 0;
        for (int at = 0; at < tensors.Length; at += Math.Max(1, tensors.Length / 150))
        {
            var body = (byte[])tensors.Clone();
            body[at] ^= 0x5A;
            var bad = Path.Combine(folder, $"forged-{at}.cpz");
            File.WriteAllBytes(bad, CompactBadInputTests.WithSection(file, CompactFormat.TensorSection, body));
            try
            {
                using var m = ModelLoader.Load(bad, new ModelLoadOptions());
                loaded++;
            }
            catch (EngineException e) { ids.Add(e.ErrorId); }
        }
        Assert.Subset(new HashSet<string> { "CompactInvalid", "CompactTensorMismatch" }, ids);
        Assert.Contains("CompactInvalid", ids);
    }
}
