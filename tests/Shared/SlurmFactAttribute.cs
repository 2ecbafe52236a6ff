using System.Diagnostics;

namespace CondensaPS.Tests.Shared;

/// <summary>
/// A fact that needs a reachable Slurm cluster (`sinfo -h -o %P` lists a partition): skipped, saying why, where there
/// is none. CI starts a one-node cluster (.ci/slurm-up.sh) and sets CONDENSAPS_REQUIRE_SLURM=1, under which these tests
/// are never skipped: without Slurm they fail.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public const string RequireVariable = "CONDENSAPS_REQUIRE_SLURM";

    private static readonly Lazy<bool> Available = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("sinfo", "-h -o %P")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return false;
            var output = p.StandardOutput.ReadToEnd();
            p.StandardError.ReadToEnd();
            if (!p.WaitForExit(30_000)) { p.Kill(); return false; }
            return p.ExitCode == 0 && output.Trim().Length > 0;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    });

    public SlurmFactAttribute()
    {
        if (!Available.Value && Environment.GetEnvironmentVariable(RequireVariable) != "1")
            Skip = "needs a reachable Slurm cluster (sudo .ci/slurm-up.sh starts one on loopback; CI does)";
    }
}
