using System.Buffers.Binary;
using System.IO.Compression;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Tests.Support;

namespace CondensaPS.Engine.Tests.Training;

public class DatasetTests
{
    private static byte[] Images(int magic, int count, int rows, int cols, int bytes)
    {
        var b = new byte[16 + bytes];
        BinaryPrimitives.WriteInt32BigEndian(b, magic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), cols);
        for (int i = 16; i < b.Length; i++) b[i] = (byte)(i % 251);
        return b;
    }

    private static byte[] Labels(int count, params byte[] labels)
    {
        var b = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(b, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        labels.CopyTo(b, 8);
        return b;
    }

    private static (string, string) Write(byte[] images, byte[] labels, bool gzip = false)
    {
        var dir = TestPaths.NewTempFolder();
        var i = Path.Combine(dir, "x-images-idx3-ubyte" + (gzip ? ".gz" : ""));
        var l = Path.Combine(dir, "x-labels-idx1-ubyte");
        if (gzip) { using var f = File.Create(i); using var gz = new GZipStream(f, CompressionLevel.Fastest); gz.Write(images); }
        else File.WriteAllBytes(i, images);
        File.WriteAllBytes(l, labels);
        return (i, l);
    }

    [Fact]
    public void The_project_mnist_digits_read_with_shape_classes_and_balance()
    {
        var d = IdxReader.Read(RetrainTestData.Mnist("train-images-idx3-ubyte.gz"), RetrainTestData.Mnist("train-labels-idx1-ubyte.gz"));
        Assert.Equal(7000, d.Count);
        Assert.Equal("1x28x28", d.Shape);
        Assert.Equal(10, d.Classes);
        Assert.Equal(7000, d.ClassCounts.Sum());
        Assert.Contains("7,000", d.ToString());
        Assert.Equal(RetrainTestData.Mnist("train-labels-idx1-ubyte.gz"), IdxReader.LabelPathFor(RetrainTestData.Mnist("train-images-idx3-ubyte.gz")));
    }

    [Fact]
    public void Plain_and_gzip_idx_read_alike_and_batches_are_normalised()
    {
        TorchRuntime.EnsureInitialized();
        var (i, l) = Write(Images(IdxReader.ImageMagic, 3, 2, 2, 12), Labels(3, 0, 1, 2), gzip: true);
        var d = IdxReader.Read(i, l).WithTransforms(new[] { 0.5 }, new[] { 0.25 }, false);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var (x, y) = d.Batch(d.Order(0, false), 0, 3);
        Assert.Equal(new long[] { 3, 1, 2, 2 }, x.shape);
        Assert.Equal((16 % 251 / 255.0 - 0.5) / 0.25, x[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(new long[] { 0, 1, 2 }, y.data<long>().ToArray());
    }

    [Fact]
    public void Shuffling_is_deterministic_per_seed_and_epoch()
    {
        var d = RetrainTestData.Train(100);
        Assert.Equal(d.Order(1, true), d.WithTransforms(d.Mean, d.Std, false, seed: 0).Order(1, true));
        Assert.NotEqual(d.Order(1, true), d.Order(2, true));
        Assert.NotEqual(d.Order(1, true), d.WithTransforms(d.Mean, d.Std, false, seed: 5).Order(1, true));
        Assert.Equal(Enumerable.Range(0, 100), d.Order(1, true).OrderBy(i => i));
    }

    [Fact]
    public void Augmentation_shifts_samples_and_keeps_shapes()
    {
        TorchRuntime.EnsureInitialized();
        var d = RetrainTestData.Train(16);
        var a = d.WithTransforms(d.Mean, d.Std, true, padding: 3);
        using var scope = TorchSharp.torch.NewDisposeScope();
        var order = d.Order(0, false);
        var (plain, _) = a.Batch(order, 0, 16);
        var (augmented, _) = a.Batch(order, 0, 16, new Random(1));
        Assert.Equal(plain.shape, augmented.shape);
        Assert.False(plain.equal(augmented).all().item<bool>());
    }

    [Theory]
    [InlineData("magic", "DatasetBadMagic")]
    [InlineData("truncated-images", "DatasetTruncated")]
    [InlineData("truncated-labels", "DatasetTruncated")]
    [InlineData("count", "DatasetCountMismatch")]
    public void Bad_idx_files_are_invalid_data_errors(string kind, string errorId)
    {
        var images = kind switch
        {
            "magic" => Images(0x0803 + 0x100, 2, 2, 2, 8),
            "truncated-images" => Images(IdxReader.ImageMagic, 2, 2, 2, 5),
            _ => Images(IdxReader.ImageMagic, 2, 2, 2, 8),
        };
        var labels = kind switch
        {
            "truncated-labels" => Labels(4, 1, 2),
            "count" => Labels(3, 1, 2, 3),
            _ => Labels(2, 1, 2),
        };
        var (i, l) = Write(images, labels);
        var e = Assert.Throws<EngineException>(() => IdxReader.Read(i, l));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidData, e.Kind);
    }

    [Fact]
    public void Labels_beyond_the_models_outputs_are_DatasetClassesDoNotFitModel()
    {
        var (i, l) = Write(Images(IdxReader.ImageMagic, 2, 28, 28, 2 * 784), Labels(2, 3, 11));
        var d = IdxReader.Read(i, l);
        Assert.Equal(12, d.Classes);
        using var m = RetrainTestData.LeNet();
        Assert.Equal("DatasetClassesDoNotFitModel", Assert.Throws<EngineException>(() => DatasetModelCheck.Require(d, m)).ErrorId);
        var (i2, l2) = Write(Images(IdxReader.ImageMagic, 1, 8, 8, 64), Labels(1, 3));
        Assert.Equal("DatasetShapeDoesNotFitModel", Assert.Throws<EngineException>(() => DatasetModelCheck.Require(IdxReader.Read(i2, l2), m)).ErrorId);
    }

    [Fact]
    public void Cifar10_batches_read_and_partial_records_are_truncated()
    {
        var dir = TestPaths.NewTempFolder();
        var path = Path.Combine(dir, "data_batch_1.bin");
        var bytes = new byte[2 * Cifar10Reader.RecordBytes];
        bytes[0] = 3; bytes[Cifar10Reader.RecordBytes] = 9; bytes[1] = 200;
        File.WriteAllBytes(path, bytes);
        var d = Cifar10Reader.Read(new[] { path });
        Assert.Equal(2, d.Count);
        Assert.Equal("3x32x32", d.Shape);
        Assert.Equal("cat", d.ClassNames[3]);
        Assert.Equal(1, d.ClassCounts[9]);
        File.WriteAllBytes(path, bytes.AsSpan(0, 100).ToArray());
        Assert.Equal("DatasetTruncated", Assert.Throws<EngineException>(() => Cifar10Reader.Read(new[] { path })).ErrorId);
        bytes[0] = 10; File.WriteAllBytes(path, bytes);
        Assert.Equal("DatasetBadLabel", Assert.Throws<EngineException>(() => Cifar10Reader.Read(new[] { path })).ErrorId);
    }
}
