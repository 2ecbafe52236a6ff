using System.Runtime.InteropServices;

namespace CondensaPS.Engine.Native;

/// <summary>
/// Environment variables for native libraries, which read the C environment (getenv), not .NET's copy of it.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>
    /// Sets <paramref name="name"/> to <paramref name="value"/> in the native environment and in .NET's copy, unless
    /// the user set it already (their value is kept).
    /// </summary>
    public static void SetUnlessSet(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        if (SetEnv(name, value, 0) == 0)
            Environment.SetEnvironmentVariable(name, value);
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);
}
