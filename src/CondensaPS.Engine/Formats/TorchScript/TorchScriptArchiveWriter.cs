using System.Text;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Writes a module tree as a TorchScript archive in the layout torch.jit.save of PyTorch 1.13 writes (version 3):
/// <c>name/extra/*</c> (torch.jit.save's _extra_files), <c>name/data/N</c> (tensor bytes, row-major, little
/// endian), <c>name/data.pkl</c>, <c>name/code/__torch__/**.py</c>, <c>name/constants.pkl</c>, <c>name/version</c>.
/// torch.jit.load in PyTorch and jit.load in TorchSharp read it; a plain torch.jit.load ignores the extra files.
/// </summary>
public static class TorchScriptArchiveWriter
{
    /// <summary>The archive format version PyTorch 1.13 writes and every later PyTorch reads.</summary>
    public const string Version = "3";

    /// <summary>
    /// Writes the archive to <paramref name="stream"/> (seekable, left open; the caller makes the file atomic).
    /// <paramref name="extraFiles"/> are stored under extra/ by name, as torch.jit.save(m, f, _extra_files=...) stores them.
    /// </summary>
    public static void Write(Stream stream, TorchScriptModule root, string archiveName, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        var classes = new TorchScriptClassTable(root);
        var (pickle, tensors) = TorchScriptPickler.Pickle(root, classes);
        var zip = new TorchScriptZipWriter(stream, archiveName);
        foreach (var (name, bytes) in extraFiles ?? new Dictionary<string, byte[]>())
            zip.Write("extra/" + name, bytes);
        for (int i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            zip.Write($"data/{i}", write =>
            {
                if (tensor.numel() == 0) return;
                using var scope = NewDisposeScope();
                write(tensor.detach().cpu().contiguous().bytes);
            });
        }
        zip.Write("data.pkl", pickle);
        foreach (var (file, source) in classes.Files) zip.Write(file, Encoding.UTF8.GetBytes(source));
        zip.Write("constants.pkl", TorchScriptPickler.EmptyConstants());
        zip.Write("version", Encoding.ASCII.GetBytes(Version + "\n"));
        zip.Finish();
    }

    /// <summary>The source files the archive would hold for <paramref name="root"/>, by path (<c>code/__torch__/...py</c>).</summary>
    public static TorchScriptCode Code(TorchScriptModule root)
    {
        var classes = new TorchScriptClassTable(root);
        return new TorchScriptCode(classes.RootType, classes.Files);
    }
}

/// <summary>
/// The TorchScript source of a module tree: the root module's qualified type (e.g.
/// <c>__torch__.torchvision.models.resnet.ResNet</c>) and each file by its path inside the archive's folder
/// (<c>code/__torch__/torchvision/models/resnet.py</c>), as torch.jit.save writes them.
/// </summary>
public sealed record TorchScriptCode(string RootType, IReadOnlyDictionary<string, string> Files);
