using System.Diagnostics;

namespace CondensaPS.Tests.Shared;

/// <summary>Runs a Python script with Debian's PyTorch (<see cref="PyTorchFactAttribute.Python"/>) for a test.</summary>
public static class PyTorchScript
{
    /// <summary>Runs <paramref name="script"/> with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(PyTorchFactAttribute.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException($"{Path.GetFileName(script)} did not finish in 2 minutes"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
