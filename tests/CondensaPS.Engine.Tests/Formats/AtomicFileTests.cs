using System.Diagnostics;
using System.Text;
using CondensaPS.Engine.Formats;
using CondensaPS.Engine.Tests.Support;
using static CondensaPS.Engine.Tests.Support.ModelFileFixtures;

namespace CondensaPS.Engine.Tests.Formats;

/// <summary>
/// Writes that are interrupted leave the target as it was, and the temp files that a killed writer leaves behind are
/// removed by the next write to the same folder, unless a live writer still holds them.
/// </summary>
public class AtomicFileTests
{
    /// <summary>A temp file as a killed exporter leaves it: our name pattern, last written <paramref name="age"/> ago.</summary>
    private static string LeftBehind(string dir, string target, TimeSpan age, int bytes = 1000)
    {
        var temp = Path.Combine(dir, $".{target}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(temp, new byte[bytes]);
        File.SetLastWriteTimeUtc(temp, DateTime.UtcNow - age);
        return temp;
    }

    [Fact]
    public void The_next_export_to_a_folder_removes_temp_files_that_killed_exports_left()
    {
        var dir = TestPaths.NewTempFolder();
        var stale = LeftBehind(dir, "old.safetensors", TimeSpan.FromHours(1));
        var staleOther = LeftBehind(dir, "other.pt", TimeSpan.FromMinutes(1));
        var notOurs = Path.Combine(dir, ".notes.tmp");
        File.WriteAllText(notOurs, "a user's file");
        File.SetLastWriteTimeUtc(notOurs, DateTime.UtcNow - TimeSpan.FromDays(1));
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        ModelExporter.Export(model, Path.Combine(dir, "new.safetensors"), ModelFileFormat.SafeTensors, overwrite: false);
        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(staleOther));
        Assert.True(File.Exists(notOurs));
        Assert.Equal(new[] { ".notes.tmp", "new.safetensors" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_temp_file_that_a_live_writer_holds_is_left_alone_and_reported()
    {
        var dir = TestPaths.NewTempFolder();
        var live = LeftBehind(dir, "busy.pt", TimeSpan.FromHours(1));
        using (var held = new FileStream(live, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var result = AtomicFile.RemoveStaleTempFiles(dir);
            Assert.Empty(result.Removed);
            Assert.Equal(new[] { live }, result.Kept);
            AtomicFile.WriteAllText(Path.Combine(dir, "s.yaml"), overwrite: false, "x: 1\n");
            Assert.True(File.Exists(live));
        }
        Assert.Equal(new[] { live }, AtomicFile.RemoveStaleTempFiles(dir).Removed);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_cancelled_write_removes_its_temp_file_and_keeps_the_old_target()
    {
        var dir = TestPaths.NewTempFolder();
        var target = Path.Combine(dir, "m.bin");
        File.WriteAllText(target, "old");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => AtomicFile.Write(target, overwrite: true, stream =>
        {
            stream.Write(Encoding.ASCII.GetBytes("half of the new content"));
            cancel.Cancel();
        }, cancel.Token));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(new[] { target }, Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_failing_writer_leaves_no_temp_file_and_the_old_target()
    {
        var dir = TestPaths.NewTempFolder();
        var target = Path.Combine(dir, "m.bin");
        File.WriteAllText(target, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, overwrite: true, stream =>
        {
            stream.Write(new byte[4096]);
            throw new InvalidOperationException("the writer failed");
        }));
        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal(new[] { target }, Directory.GetFiles(dir));
        Directory.Delete(dir, true);
    }

    private static void MakeNode(params string[] command)
    {
        var (code, output) = Tmpfs.Run(command[0], command[1..]);
        Assert.True(code == 0, $"{string.Join(" ", command)}: {output}");
    }

    [Fact]
    public void Overwrite_refuses_a_FIFO_and_leaves_it_in_place()
    {
        var dir = TestPaths.NewTempFolder();
        var fifo = Path.Combine(dir, "pipe.safetensors");
        MakeNode("mkfifo", fifo);
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        var e = Throws(() => ModelExporter.Export(model, fifo, ModelFileFormat.SafeTensors, overwrite: true));
        Assert.Equal(("OutputNotRegularFile", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.Contains("FIFO", e.Message);
        Assert.Equal("p", FileType(fifo));
        Assert.Single(Directory.GetFileSystemEntries(dir));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Overwrite_refuses_a_character_device_and_leaves_it_in_place()
    {
        // /dev/null is a character device everyone has; the check refuses it before anything is written.
        var refused = Throws(() => AtomicFile.CheckWritable("/dev/null", overwrite: true));
        Assert.Equal("OutputNotRegularFile", refused.ErrorId);
        if (Environment.UserName != "root") return; // mknod needs root (CI runs as root)
        var dir = TestPaths.NewTempFolder();
        var device = Path.Combine(dir, "null.pt");
        MakeNode("mknod", device, "c", "1", "3");
        using var model = ModelLoader.New(new ModelLoadOptions { Architecture = "lenet5" });
        var e = Throws(() => ModelExporter.Export(model, device, ModelFileFormat.SafeTensors, overwrite: true));
        Assert.Equal(("OutputNotRegularFile", EngineErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.Contains("character device", e.Message);
        Assert.Equal("c", FileType(device));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Overwrite_through_a_symbolic_link_replaces_the_file_it_points_to_and_keeps_the_link()
    {
        var dir = TestPaths.NewTempFolder();
        var real = Path.Combine(dir, "v1.txt");
        File.WriteAllText(real, "old");
        var link = Path.Combine(dir, "latest.txt");
        File.CreateSymbolicLink(link, real);
        AtomicFile.WriteAllText(link, overwrite: true, "new");
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(real, new FileInfo(link).LinkTarget);
        Assert.Equal(2, Directory.GetFiles(dir).Length);
        Directory.Delete(dir, true);
    }

    /// <summary>The file's type as find's %y prints it (f, d, p, c, l, ...).</summary>
    private static string FileType(string path)
    {
        var (code, output) = Tmpfs.Run("find", path, "-maxdepth", "0", "-printf", "%y");
        Assert.Equal(0, code);
        return output.Trim();
    }
}
