namespace CondensaPS.Host.Hosting;

/// <summary>Finds the built module manifest out/CondensaPS/CondensaPS.psd1.</summary>
public static class ModuleLocator
{
    public const string EnvironmentVariable = "CONDENSAPS_MODULE_PATH";

    public static string Find()
    {
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            var manifest = Directory.Exists(fromEnv) ? Path.Combine(fromEnv, "CondensaPS.psd1") : fromEnv;
            if (File.Exists(manifest)) return Path.GetFullPath(manifest);
            throw new FileNotFoundException($"{EnvironmentVariable} is set to '{fromEnv}', but no CondensaPS.psd1 is there.");
        }
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "out", "CondensaPS", "CondensaPS.psd1");
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException(
            "The CondensaPS module was not found (out/CondensaPS/CondensaPS.psd1). Build it with 'dotnet build CondensaPS.sln', or set " + EnvironmentVariable + ".");
    }
}
