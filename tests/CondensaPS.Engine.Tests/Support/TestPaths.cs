namespace CondensaPS.Engine.Tests.Support;

/// <summary>Where the repository's test fixtures and data are, and a temp folder per test.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    public static string NewTempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "condensaps-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found above " + AppContext.BaseDirectory);
    }
}
