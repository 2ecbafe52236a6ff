using System.Runtime.InteropServices;
using CondensaPS.Engine.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// A ScriptModule's TorchScript archive, serialized by libtorch into a <see cref="MemoryFile"/>, never straight into
/// a file on disk: libtorch's zip writer dies with the process when a write fails (a full disk throws from its
/// destructor, and std::terminate follows), while a failure of .NET's own write is an ordinary, catchable error.
/// Exports copy the archive to their file with .NET; clones, slimming and structure analysis read it back from memory.
/// </summary>
internal static class ScriptModuleArchive
{
    /// <summary>Serializes <paramref name="module"/>; the caller disposes the memory file.</summary>
    public static MemoryFile Save(jit.ScriptModule module)
    {
        var archive = MemoryFile.Create("torchscript");
        try
        {
            jit.save(module, archive.Path);
            return archive;
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            archive.Dispose();
            throw new EngineException("TorchScriptNotSaved", EngineErrorKind.InvalidOperation,
                $"libtorch could not serialize the TorchScript module: {ModelLoader.FirstLine(e.Message)}", null, e);
        }
    }

    /// <summary>The archive of <paramref name="module"/> as bytes, serialized in memory: no file is written anywhere.</summary>
    public static byte[] Bytes(jit.ScriptModule module)
    {
        using var archive = Save(module);
        return archive.ReadAllBytes();
    }

    /// <summary>A deep copy of <paramref name="module"/> through its archive, on <paramref name="device"/>.</summary>
    public static jit.ScriptModule<Tensor, Tensor> Copy(jit.ScriptModule module, Device device)
    {
        using var archive = Save(module);
        return jit.load<Tensor, Tensor>(archive.Path, device.type, device.index);
    }

    /// <summary>Copies the archive to <paramref name="target"/>, checking for cancellation between blocks.</summary>
    public static void CopyTo(MemoryFile archive, Stream target, CancellationToken cancellation)
    {
        using var source = archive.OpenRead();
        var buffer = new byte[1 << 20];
        int read;
        while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            cancellation.ThrowIfCancellationRequested();
            target.Write(buffer, 0, read);
        }
    }
}
