using System.Diagnostics;

namespace CondensaPS.Engine.Execution;

/// <summary>Runs a short command (sinfo, sbatch, squeue, scancel) and returns its exit code and output.</summary>
internal static class CommandRunner
{
    public sealed record Output(int ExitCode, string StandardOutput, string StandardError)
    {
        public string Message => string.IsNullOrWhiteSpace(StandardError) ? StandardOutput.Trim() : StandardError.Trim();
    }

    /// <summary>Runs the command; null when it cannot be started (not installed). A command past its timeout is killed (exit -1).</summary>
    public static Output? Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                return new Output(-1, stdout.Result, $"'{file}' did not answer within {timeout.TotalSeconds:0} s. {stderr.Result}");
            }
            process.WaitForExit();
            return new Output(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
