using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CondensaPS.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// The TSAR section: what it takes to rebuild a TorchScript module (code, constants, structure) without its weights,
/// which come from the TENS section. Version 2 keeps the entries of the module's TorchScript archive after every
/// parameter and buffer is set to zero: a directory (LEB128 count; per entry its name, u8 kind: 0 stored, 1 all zero,
/// and LEB128 size), then the stored entries' bytes one after another; the zero-filled tensor records cost nothing and
/// the source-range debug pickles (<c>*.debug_pkl</c>, which loading does not need) are left out. The whole is one
/// byte stream (Brotli, usually) in the section. Reading rebuilds an uncompressed zip archive from it and loads that.
/// Version 1 stored the zeroed archive itself: raw length (u64) + raw DEFLATE.
/// </summary>
internal static class CompactTorchScript
{
    /// <summary>The largest archive a section may describe (a bound on what reading allocates).</summary>
    public const long MaxArchiveBytes = 1L << 30;

    public static byte[] Encode(jit.ScriptModule module)
    {
        using var copy = ScriptModuleArchive.Copy(module, CPU);
        using (no_grad())
        {
            foreach (var (_, p) in copy.named_parameters()) p.zero_();
            foreach (var (_, b) in copy.named_buffers()) b.zero_();
        }
        using var zeroed = ScriptModuleArchive.Save(copy);
        using var stream = zeroed.OpenRead();
        return CompactBlob.Encode(Strip(stream), int.MaxValue).ToBytes();
    }

    /// <summary>The directory and stored bytes of an archive (version 2's raw TSAR stream).</summary>
    internal static byte[] Strip(string archivePath)
    {
        using var stream = File.OpenRead(archivePath);
        return Strip(stream);
    }

    /// <summary>As <see cref="Strip(string)"/>, from the archive's bytes.</summary>
    internal static byte[] Strip(Stream archive)
    {
        var entries = new List<(string Name, bool Zero, byte[] Bytes)>();
        using (var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true))
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith(".debug_pkl", StringComparison.Ordinal)) continue;
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                var bytes = buffer.ToArray();
                entries.Add((entry.FullName, bytes.Length > 0 && !bytes.AsSpan().ContainsAnyExcept((byte)0), bytes));
            }
        using var output = new MemoryStream();
        using var writer = new BinaryWriter(output);
        Leb128.Write(writer, entries.Count);
        foreach (var (name, zero, bytes) in entries)
        {
            var utf8 = Encoding.UTF8.GetBytes(name);
            Leb128.Write(writer, utf8.Length);
            writer.Write(utf8);
            writer.Write((byte)(zero ? 1 : 0));
            Leb128.Write(writer, bytes.Length);
        }
        foreach (var (_, zero, bytes) in entries)
            if (!zero) writer.Write(bytes);
        writer.Flush();
        return output.ToArray();
    }

    /// <summary>Writes the archive a version 2 stream describes (stored entries, in their order).</summary>
    internal static void Rebuild(byte[] stripped, string archivePath)
    {
        using var file = new FileStream(archivePath, FileMode.Create, FileAccess.ReadWrite);
        Rebuild(stripped, file);
    }

    /// <summary>As <see cref="Rebuild(byte[], string)"/>, into a seekable stream.</summary>
    internal static void Rebuild(byte[] stripped, Stream target)
    {
        using var reader = new BinaryReader(new MemoryStream(stripped));
        long count = Leb128.Read(reader);
        if (count < 1 || count > 1_000_000) throw new InvalidDataException($"the archive directory lists {count} entries");
        var entries = new List<(string Name, bool Zero, long Size)>();
        long total = 0;
        for (long i = 0; i < count; i++)
        {
            long nameLength = Leb128.Read(reader);
            if (nameLength < 1 || nameLength > 4096) throw new InvalidDataException($"an archive entry name of {nameLength} bytes");
            var name = Encoding.UTF8.GetString(reader.ReadBytes((int)nameLength));
            int kind = reader.ReadByte();
            if (kind > 1) throw new InvalidDataException($"archive entry '{name}' has unknown kind {kind}");
            long size = Leb128.Read(reader);
            total += size;
            if (size < 0 || total > MaxArchiveBytes) throw new InvalidDataException($"archive entries add up to more than {MaxArchiveBytes:N0} bytes");
            entries.Add((name, kind == 1, size));
        }
        using (var zip = new ZipArchive(target, ZipArchiveMode.Create, leaveOpen: true))
        {
            var chunk = new byte[1 << 16];
            foreach (var (name, zero, size) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                for (long left = size; left > 0;)
                {
                    int n = (int)Math.Min(left, chunk.Length);
                    if (zero) Array.Clear(chunk, 0, n);
                    else if (reader.Read(chunk, 0, n) != n) throw new InvalidDataException($"archive entry '{name}' is cut short");
                    stream.Write(chunk, 0, n);
                    left -= n;
                }
            }
        }
        if (reader.BaseStream.Position != stripped.Length) throw new InvalidDataException("bytes follow the last archive entry");
    }

    /// <summary>Loads the archive; any failure is CompactArchitectureUnavailable (the file itself passed its checksums).</summary>
    public static jit.ScriptModule<Tensor, Tensor> Load(byte[] body, ushort version, Device device, string path, out bool traced)
    {
        byte[] raw;
        try
        {
            if (version == 1) raw = InflateVersion1(body);
            else
            {
                using var rebuilt = new MemoryStream();
                Rebuild(CompactBlob.ReadWhole(body, "the TorchScript section", MaxArchiveBytes), rebuilt);
                raw = rebuilt.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OverflowException)
        {
            throw Unavailable(path, $"its TorchScript archive cannot be rebuilt: {e.Message}", e);
        }
        using var archive = MemoryFile.Create("compact-torchscript");
        archive.WriteAllBytes(raw);
        try
        {
            ArchiveIntegrity.Verify(archive.Path, $"{path} (its TorchScript section)");
            traced = TorchScriptArchive.IsTraced(archive.Path);
            return jit.load<Tensor, Tensor>(archive.Path, device.type, device.index);
        }
        catch (EngineException e)
        {
            throw Unavailable(path, $"its TorchScript archive is damaged: {e.Message}", e);
        }
        catch (Exception e)
        {
            throw Unavailable(path, $"its TorchScript archive cannot be loaded: {ModelLoader.FirstLine(e.Message)}", e);
        }
    }

    private static byte[] InflateVersion1(byte[] body)
    {
        if (body.Length < 8) throw new InvalidDataException("the section is shorter than its length field");
        var raw = (long)BinaryPrimitives.ReadUInt64LittleEndian(body);
        if (raw < 0 || raw > MaxArchiveBytes) throw new InvalidDataException($"the archive claims {raw:N0} bytes");
        return CompactBlob.Inflate(body[8..], raw);
    }

    internal static EngineException Unavailable(string path, string detail, Exception? inner = null) =>
        new("CompactArchitectureUnavailable", EngineErrorKind.InvalidData, $"The model in '{path}' cannot be rebuilt: {detail}.", path, inner);
}
