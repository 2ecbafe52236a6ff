using System.IO.Compression;

namespace CondensaPS.Engine.Formats;

/// <summary>Reads what the TorchScript code inside an archive says about how it was made.</summary>
public static class TorchScriptArchive
{
    /// <summary>
    /// True when the archive was made by torch.jit.trace: traced code names arguments "argument_N", calls
    /// torch._convolution with every argument spelled out, and bakes batch norm's training flag in as a constant
    /// instead of reading self.training, so train() cannot change it.
    /// </summary>
    public static bool IsTraced(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        bool batchNorm = false, readsTraining = false, tracedMarks = false;
        foreach (var entry in zip.Entries.Where(e => e.FullName.Contains("/code/") && e.FullName.EndsWith(".py", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(entry.Open());
            var code = reader.ReadToEnd();
            batchNorm |= code.Contains("torch.batch_norm(", StringComparison.Ordinal);
            readsTraining |= code.Contains(".training", StringComparison.Ordinal);
            tracedMarks |= code.Contains("argument_1", StringComparison.Ordinal) || code.Contains("torch._convolution(", StringComparison.Ordinal);
        }
        return tracedMarks || (batchNorm && !readsTraining);
    }
}
