using System.Buffers.Binary;
using CondensaPS.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>
/// The TSAR section: the model's TorchScript archive (code, constants, structure) with every parameter and buffer
/// set to zero, deflated; zeros compress to almost nothing, so the section costs about the code's size. On import the
/// archive is loaded and the real values are copied in from the tensor records. Body: raw length (u64) + raw DEFLATE.
/// </summary>
internal static class CompactTorchScript
{
    public static byte[] Encode(jit.ScriptModule module)
    {
        using var copy = ScriptModuleArchive.Copy(module, CPU);
        using (no_grad())
        {
            foreach (var (_, p) in copy.named_parameters()) p.zero_();
            foreach (var (_, b) in copy.named_buffers()) b.zero_();
        }
        using var zeroed = ScriptModuleArchive.Save(copy);
        var raw = zeroed.ReadAllBytes();
        var deflated = CompactBlob.Deflate(raw);
        var body = new byte[8 + deflated.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(body, (ulong)raw.Length);
        deflated.CopyTo(body, 8);
        return body;
    }

    /// <summary>Loads the archive; any failure is CompactArchitectureUnavailable (the file itself passed its checksums).</summary>
    public static jit.ScriptModule<Tensor, Tensor> Load(byte[] body, Device device, string path, out bool traced)
    {
        byte[] raw;
        try
        {
            if (body.Length < 8) throw new InvalidDataException("the section is shorter than its length field");
            raw = CompactBlob.Inflate(body[8..], (long)BinaryPrimitives.ReadUInt64LittleEndian(body));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Unavailable(path, $"its TorchScript archive does not inflate: {e.Message}", e);
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

    internal static EngineException Unavailable(string path, string detail, Exception? inner = null) =>
        new("CompactArchitectureUnavailable", EngineErrorKind.InvalidData, $"The model in '{path}' cannot be rebuilt: {detail}.", path, inner);
}
