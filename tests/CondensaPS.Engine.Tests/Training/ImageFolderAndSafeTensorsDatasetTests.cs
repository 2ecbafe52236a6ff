using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using SkiaSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Tests.Training;

public class ImageFolderAndSafeTensorsDatasetTests
{
    /// <summary>Writes a w x h image whose pixel (x, y) is colour(x, y), as PNG (or JPEG at quality 100).</summary>
    private static void WriteImage(string file, int width, int height, Func<int, int, SKColor> colour, bool grey = false, bool jpeg = false)
    {
        SkiaNative.EnsureLoaded();
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, grey ? SKColorType.Gray8 : SKColorType.Rgba8888, grey ? SKAlphaType.Opaque : SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(file, data.ToArray());
    }

    private static SKColor Grey(byte v) => new(v, v, v);

    /// <summary>cat: 3 images, dog: 2 images, all 4x6 (w x h) grey with value 10*class + index at (0,0).</summary>
    private static string GreyFolder()
    {
        var dir = TestPaths.NewTempFolder();
        for (int i = 0; i < 3; i++) WriteImage(Path.Combine(dir, "cat", $"c{i}.png"), 4, 6, (x, y) => Grey((byte)(x == 0 && y == 0 ? i : 100 + x + y)), grey: true);
        for (int i = 0; i < 2; i++) WriteImage(Path.Combine(dir, "dog", $"d{i}.png"), 4, 6, (x, y) => Grey((byte)(x == 0 && y == 0 ? 10 + i : 200)), grey: true);
        File.WriteAllText(Path.Combine(dir, "dog", "notes.txt"), "ignored");
        return dir;
    }

    private static EngineException Throws(Action a) => Assert.Throws<EngineException>(a);

    [Fact]
    public void SkiaSharp_natives_load()
    {
        SkiaNative.EnsureLoaded();
        using var bitmap = new SKBitmap(2, 2);
        Assert.Equal(2, bitmap.Width);
    }

    [Fact]
    public void A_grey_image_folder_reads_classes_from_sorted_subfolders_with_balance_and_pixels()
    {
        var d = ImageFolderReader.Read(GreyFolder());
        Assert.Equal("ImageFolder", d.Format);
        Assert.Equal(5, d.Count);
        Assert.Equal("1x6x4", d.Shape);
        Assert.Equal(new[] { "cat", "dog" }, d.ClassNames);
        Assert.Equal("cat:3 dog:2", d.ClassBalance);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1 }, d.Labels);
        Assert.Equal(2, d.Pixels[2 * 24]);
        Assert.Equal(11, d.Pixels[4 * 24]);
        Assert.Equal(100 + 3 + 5, d.Pixels[23]);
        Assert.Null(d.ResizedFrom);
    }

    [Fact]
    public void Rgb_images_keep_their_planes_and_channels_can_be_forced()
    {
        var dir = TestPaths.NewTempFolder();
        WriteImage(Path.Combine(dir, "a", "1.png"), 3, 2, (x, y) => new SKColor(200, 100, 50));
        WriteImage(Path.Combine(dir, "b", "1.png"), 3, 2, (x, y) => new SKColor(0, 255, 0, 128));
        var rgb = ImageFolderReader.Read(dir);
        Assert.Equal("3x2x3", rgb.Shape);
        Assert.Equal(new byte[] { 200, 100, 50 }, new[] { rgb.Pixels[0], rgb.Pixels[6], rgb.Pixels[12] });
        Assert.Equal(new byte[] { 0, 255, 0 }, new[] { rgb.Pixels[18], rgb.Pixels[24], rgb.Pixels[30] }); // alpha dropped, not composited
        var grey = ImageFolderReader.Read(dir, channels: 1);
        Assert.Equal("1x2x3", grey.Shape);
        Assert.Equal((byte)Math.Round(0.299 * 200 + 0.587 * 100 + 0.114 * 50, MidpointRounding.AwayFromZero), grey.Pixels[0]);
        var fromGrey = ImageFolderReader.Read(GreyFolder(), channels: 3);
        Assert.Equal("3x6x4", fromGrey.Shape);
        Assert.Equal(fromGrey.Pixels[0], fromGrey.Pixels[24]);
        Assert.Equal(fromGrey.Pixels[0], fromGrey.Pixels[48]);
        Assert.Throws<EngineException>(() => ImageFolderReader.Read(dir, channels: 2));
    }

    [Fact]
    public void Jpeg_images_are_read()
    {
        var dir = TestPaths.NewTempFolder();
        WriteImage(Path.Combine(dir, "x", "1.jpg"), 8, 8, (x, y) => Grey(128), jpeg: true);
        WriteImage(Path.Combine(dir, "y", "1.JPEG"), 8, 8, (x, y) => Grey(30), jpeg: true);
        var d = ImageFolderReader.Read(dir, channels: 1);
        Assert.Equal(2, d.Count);
        Assert.InRange(d.Pixels[0], 125, 131);
        Assert.InRange(d.Pixels[64], 27, 33);
    }

    [Fact]
    public void Images_of_another_size_are_refused_naming_the_file_unless_resized()
    {
        var dir = GreyFolder();
        var odd = Path.Combine(dir, "dog", "z-odd.png");
        WriteImage(odd, 8, 8, (x, y) => Grey(50), grey: true);
        var e = Throws(() => ImageFolderReader.Read(dir));
        Assert.Equal("DatasetImageSizeMismatch", e.ErrorId);
        Assert.Equal(EngineErrorKind.InvalidData, e.Kind);
        Assert.Contains(odd, e.Message);
        var d = ImageFolderReader.Read(dir, resize: (5, 5));
        Assert.Equal("1x5x5", d.Shape);
        Assert.Equal(6, d.Count);
        Assert.Equal("mixed sizes", d.ResizedFrom);
        Assert.Contains("resize mixed sizes -> 5x5 bilinear", d.Transforms);
        Assert.All(d.Pixels.Skip(5 * 25), p => Assert.Equal(50, p));
    }

    [Fact]
    public void Folder_errors_have_their_ids()
    {
        var missing = Throws(() => ImageFolderReader.Read(Path.Combine(TestPaths.NewTempFolder(), "none")));
        Assert.Equal(("DatasetFileNotFound", EngineErrorKind.ObjectNotFound), (missing.ErrorId, missing.Kind));

        var flat = TestPaths.NewTempFolder();
        WriteImage(Path.Combine(flat, "1.png"), 2, 2, (x, y) => Grey(1));
        var noClasses = Throws(() => ImageFolderReader.Read(flat));
        Assert.Equal(("DatasetNoClasses", EngineErrorKind.InvalidData), (noClasses.ErrorId, noClasses.Kind));

        var empty = TestPaths.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(empty, "a"));
        File.WriteAllText(Path.Combine(empty, "a", "readme.txt"), "x");
        var e = Throws(() => ImageFolderReader.Read(empty));
        Assert.Equal(("DatasetEmpty", EngineErrorKind.InvalidData), (e.ErrorId, e.Kind));

        var bad = GreyFolder();
        var junk = Path.Combine(bad, "cat", "broken.png");
        File.WriteAllText(junk, "not a png");
        var b = Throws(() => ImageFolderReader.Read(bad));
        Assert.Equal(("DatasetBadImage", EngineErrorKind.InvalidData), (b.ErrorId, b.Kind));
        Assert.Contains(junk, b.Message);
    }

    [Fact]
    public void Resize_is_bilinear_rounded_and_recorded()
    {
        TorchRuntime.EnsureInitialized();
        // One 1x2x2 sample [[0, 100], [200, 255]] to 4x4 matches torch's bilinear (align_corners false), rounded.
        var pixels = new byte[] { 0, 100, 200, 255 };
        var d = new Dataset("t", "mem", "SafeTensors", pixels, new long[] { 0 }, 1, 2, 2, 1).WithTransforms(null, null, false);
        var r = ImageResizer.Resize(d, 4, 4);
        using var scope = NewDisposeScope();
        var expected = nn.functional.interpolate(tensor(new float[] { 0, 100, 200, 255 }, new long[] { 1, 1, 2, 2 }), new long[] { 4, 4 }, mode: InterpolationMode.Bilinear, align_corners: false)
            .round().to_type(ScalarType.Byte).data<byte>().ToArray();
        Assert.Equal(expected, r.Pixels);
        Assert.Equal(0, r.Pixels[0]);
        Assert.Equal(255, r.Pixels[15]);
        Assert.Equal((byte)Math.Round(0.75 * 0 + 0.25 * 100), r.Pixels[1]);
        Assert.Equal("1x4x4", r.Shape);
        Assert.Equal("2x2", r.ResizedFrom);
        Assert.StartsWith("resize 2x2 -> 4x4 bilinear (at import); scale 1/255", r.Transforms);
        Assert.Contains("resized from 2x2", r.ToString());
        Assert.Equal("2x2", r.Take(1).WithTransforms(new[] { 0.5 }, new[] { 0.5 }, true).ResizedFrom);
        Assert.Same(d, ImageResizer.Resize(d, 2, 2));
        Assert.Equal((3, 5), ImageResizer.ParseSize(new[] { 3, 5 }));
        Assert.Equal((7, 7), ImageResizer.ParseSize(new[] { 7 }));
        Assert.Equal("DatasetBadResize", Throws(() => ImageResizer.ParseSize(new[] { 0 })).ErrorId);
        Assert.Equal("DatasetBadResize", Throws(() => ImageResizer.ParseSize(new[] { 1, 2, 3 })).ErrorId);
    }

    private static string WriteSafeTensors(Tensor? images, Tensor? labels, string? classes = null, string name = "data.safetensors")
    {
        var path = Path.Combine(TestPaths.NewTempFolder(), name);
        var list = new List<(string, Tensor)>();
        if (images is not null) list.Add(("images", images));
        if (labels is not null) list.Add(("labels", labels));
        SafeTensorsFile.Write(path, list, classes is null ? null : new Dictionary<string, string> { ["classes"] = classes });
        return path;
    }

    [Fact]
    public void SafeTensors_uint8_nchw_reads_with_class_names_from_metadata()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var images = arange(2 * 3 * 2 * 2, ScalarType.Int64).to_type(ScalarType.Byte).reshape(2, 3, 2, 2);
        var path = WriteSafeTensors(images, tensor(new long[] { 1, 2 }), "zero, one ,two");
        Assert.True(SafeTensorsDatasetReader.LooksLikeSafeTensors(path));
        var d = SafeTensorsDatasetReader.Read(path);
        Assert.Equal("SafeTensors", d.Format);
        Assert.Equal("3x2x2", d.Shape);
        Assert.Equal(new[] { "zero", "one", "two" }, d.ClassNames);
        Assert.Equal("zero:0 one:1 two:1", d.ClassBalance);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (byte)i), d.Pixels);
        var resized = ImageResizer.Resize(d, 4, 4);
        Assert.Equal("3x4x4", resized.Shape);
        Assert.Equal(new[] { "zero", "one", "two" }, resized.ClassNames);
    }

    [Fact]
    public void SafeTensors_nhw_float_and_int32_labels_are_scaled_and_rounded()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var images = tensor(new float[] { 0f, 1f, 0.5f, 1f / 255f, 0.2f, 0.9999f, 0f, 0.002f }, new long[] { 2, 2, 2 });
        var path = WriteSafeTensors(images, tensor(new int[] { 0, 3 }), name: "noext.bin");
        Assert.True(SafeTensorsDatasetReader.LooksLikeSafeTensors(path));
        var d = SafeTensorsDatasetReader.Read(path);
        Assert.Equal("1x2x2", d.Shape);
        Assert.Equal(4, d.Classes);
        Assert.Equal("0:1 1:0 2:0 3:1", d.ClassBalance);
        Assert.Equal(new byte[] { 0, 255, 128, 1, 51, 255, 0, 1 }, d.Pixels);
        var u8 = SafeTensorsDatasetReader.Read(WriteSafeTensors(zeros(new long[] { 3, 1, 1 }, ScalarType.Byte), tensor(new byte[] { 0, 1, 1 })));
        Assert.Equal(new long[] { 0, 1, 1 }, u8.Labels);
    }

    [Fact]
    public void SafeTensors_errors_have_their_ids()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var img = zeros(new long[] { 2, 1, 2, 2 }, ScalarType.Byte);
        var lab = tensor(new long[] { 0, 1 });
        void Expect(string id, string path, EngineErrorKind kind = EngineErrorKind.InvalidData)
        {
            var e = Throws(() => SafeTensorsDatasetReader.Read(path));
            Assert.Equal((id, kind), (e.ErrorId, e.Kind));
        }
        Expect("DatasetFileNotFound", Path.Combine(TestPaths.NewTempFolder(), "none.safetensors"), EngineErrorKind.ObjectNotFound);
        Expect("DatasetTensorMissing", WriteSafeTensors(img, null));
        Expect("DatasetTensorMissing", WriteSafeTensors(null, lab));
        Expect("DatasetCountMismatch", WriteSafeTensors(img, tensor(new long[] { 0, 1, 1 })));
        Expect("DatasetBadDType", WriteSafeTensors(img.to_type(ScalarType.Int32), lab));
        Expect("DatasetBadDType", WriteSafeTensors(img, lab.to_type(ScalarType.Float32)));
        Expect("DatasetBadShape", WriteSafeTensors(zeros(new long[] { 2, 4 }, ScalarType.Byte), lab));
        Expect("DatasetBadShape", WriteSafeTensors(img, lab.reshape(2, 1)));
        Expect("DatasetBadPixelRange", WriteSafeTensors(full(new long[] { 2, 2, 2 }, 1.5f), lab));
        Expect("DatasetBadLabel", WriteSafeTensors(img, tensor(new long[] { 0, -1 })));
        Expect("DatasetBadLabel", WriteSafeTensors(img, tensor(new long[] { 0, 2 }), "a,b"));
        Expect("DatasetEmpty", WriteSafeTensors(zeros(new long[] { 0, 1, 2, 2 }, ScalarType.Byte), zeros(new long[] { 0 }, ScalarType.Int64)));
    }
}
