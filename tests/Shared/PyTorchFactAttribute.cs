using System.Diagnostics;

namespace CondensaPS.Tests.Shared;

/// <summary>
/// A fact that needs Debian's PyTorch (/usr/bin/python3 with torch): skipped, saying why, where
/// `/usr/bin/python3 -c "import torch"` fails. CI installs python3-torch, so these tests run there.
/// </summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    internal static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, "-c \"import torch\"")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return false;
            p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(120_000)) { p.Kill(); return false; }
            return p.ExitCode == 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    });

    public PyTorchFactAttribute()
    {
        if (!Available.Value) Skip = "needs /usr/bin/python3 with torch (CI installs python3-torch)";
    }
}

/// <summary>A theory that needs Debian's PyTorch, skipped as <see cref="PyTorchFactAttribute"/> is.</summary>
public sealed class PyTorchTheoryAttribute : TheoryAttribute
{
    public PyTorchTheoryAttribute()
    {
        if (!PyTorchFactAttribute.Available.Value) Skip = "needs /usr/bin/python3 with torch (CI installs python3-torch)";
    }
}
