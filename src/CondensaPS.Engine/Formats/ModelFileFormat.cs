using System.IO.Compression;
using System.Text;

namespace CondensaPS.Engine.Formats;

/// <summary>The model file formats Import-Model and Export-Model know.</summary>
public enum ModelFileFormat
{
    TorchScript,
    PyTorchStateDict,
    TorchSharp,
    SafeTensors,
    /// <summary>CondensaPS's compact format (.cpz, docs/compact-format.md): sparse, at storage precision, with history.</summary>
    Compact,
}

/// <summary>Tells a model file's format from its first bytes and (for zip archives) its entries.</summary>
public static class ModelFileFormatDetector
{
    public static ModelFileFormat Detect(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new EngineException("ModelPathIsDirectory", EngineErrorKind.InvalidArgument, $"'{full}' is a folder, not a model file.", full);
        if (!File.Exists(full))
            throw new EngineException("ModelFileNotFound", EngineErrorKind.ObjectNotFound, $"Model file '{full}' does not exist.", full);
        var head = new byte[16];
        int read;
        using (var fs = File.OpenRead(full)) read = fs.Read(head, 0, head.Length);
        if (read == 0)
            throw new EngineException("ModelFileEmpty", EngineErrorKind.InvalidData, $"Model file '{full}' is empty.", full);
        if (Compact.CompactFormat.HasMagic(head.AsSpan(0, read)))
            return ModelFileFormat.Compact;
        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
            return DetectZip(full);
        if (read >= 9 && LooksLikeSafeTensors(head))
            return ModelFileFormat.SafeTensors;
        if (head[0] == 0x80 && read > 1 && head[1] <= 5)
            throw new EngineException("LegacyPickleNotSupported", EngineErrorKind.NotSupported,
                $"'{full}' is a legacy (pre-1.6, non-zip) torch.save file. Re-save it with torch.save(obj, path) from PyTorch 1.6 or later.", full);
        if (LooksLikeTorchSharp(full))
            return ModelFileFormat.TorchSharp;
        throw new EngineException("UnrecognizedModelFormat", EngineErrorKind.InvalidData,
            $"'{full}' is not a model file CondensaPS can read (TorchScript or PyTorch state dict archive, TorchSharp weights, safetensors).", full);
    }

    private static ModelFileFormat DetectZip(string full)
    {
        try
        {
            using var zip = ZipFile.OpenRead(full);
            var names = zip.Entries.Select(e => e.FullName).ToList();
            if (names.Any(n => n.Contains("/code/", StringComparison.Ordinal) || n.EndsWith("/constants.pkl", StringComparison.Ordinal)))
                return ModelFileFormat.TorchScript;
            if (names.Any(n => n.EndsWith("data.pkl", StringComparison.Ordinal)))
                return ModelFileFormat.PyTorchStateDict;
        }
        catch (InvalidDataException e)
        {
            throw new EngineException("TruncatedArchive", EngineErrorKind.InvalidData, $"'{full}' is a damaged or truncated zip archive: {e.Message}", full, e);
        }
        throw new EngineException("UnrecognizedModelFormat", EngineErrorKind.InvalidData,
            $"'{full}' is a zip archive but neither a TorchScript archive nor a PyTorch state dict.", full);
    }

    /// <summary>A plausible header length followed by '{'; the reader then validates the rest (and reports truncation).</summary>
    private static bool LooksLikeSafeTensors(byte[] head)
    {
        ulong headerLength = BitConverter.ToUInt64(head, 0);
        return headerLength > 1 && headerLength < 100 * 1024 * 1024 && head[8] == (byte)'{';
    }

    /// <summary>TorchSharp's format: a LEB128 entry count, then a length-prefixed UTF-8 name per entry.</summary>
    private static bool LooksLikeTorchSharp(string full)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(full), Encoding.UTF8);
            long count = Leb128.Read(reader);
            if (count <= 0 || count > 100_000) return false;
            var name = reader.ReadString();
            return name.Length > 0 && name.All(c => c > 32 && c < 127);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException)
        {
            return false;
        }
    }
}
