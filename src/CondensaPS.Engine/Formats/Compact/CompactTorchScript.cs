using System.Buffers.Binary;
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
        var original = TempPath();
        var zeroed = TempPath();
        try
        {
            jit.save(module, original);
            using (var copy = jit.load(original, DeviceType.CPU))
            {
                using (no_grad())
                {
                    foreach (var (_, p) in copy.named_parameters()) p.zero_();
                    foreach (var (_, b) in copy.named_buffers()) b.zero_();
                }
                jit.save(copy, zeroed);
            }
            var raw = File.ReadAllBytes(zeroed);
            var deflated = CompactBlob.Deflate(raw);
            var body = new byte[8 + deflated.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(body, (ulong)raw.Length);
            deflated.CopyTo(body, 8);
            return body;
        }
        finally
        {
            File.Delete(original);
            File.Delete(zeroed);
        }
    }

    /// <summary>Loads the archive; any failure is CompactArchitectureUnavailable (the file itself passed its checksums).</summary>
    public static jit.ScriptModule<Tensor, Tensor> Load(byte[] body, Device device, string path, out bool traced)
    {
        var temp = TempPath();
        try
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
            File.WriteAllBytes(temp, raw);
            try
            {
                traced = TorchScriptArchive.IsTraced(temp);
                return jit.load<Tensor, Tensor>(temp, device.type, device.index);
            }
            catch (Exception e) when (e is not EngineException)
            {
                throw Unavailable(path, $"its TorchScript archive cannot be loaded: {ModelLoader.FirstLine(e.Message)}", e);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    internal static EngineException Unavailable(string path, string detail, Exception? inner = null) =>
        new("CompactArchitectureUnavailable", EngineErrorKind.InvalidData, $"The model in '{path}' cannot be rebuilt: {detail}.", path, inner);

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"condensaps-compact-{Guid.NewGuid():N}.pt");
}
