using System.Management.Automation;
using CondensaPS.Host.Hosting;

namespace CondensaPS.Module.Tests.Support;

/// <summary>
/// One hosted runspace with out/CondensaPS imported, shared by the module tests (importing takes seconds). Tests run
/// scripts through it exactly as the `condensa` host does, and read back output, errors and host text.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public ModuleSession()
    {
        RepoRoot = FindRepoRoot();
        Session = HostedSession.Open(Path.Combine(RepoRoot, "out", "CondensaPS", "CondensaPS.psd1"), _out, _err);
    }

    public string RepoRoot { get; }
    public HostedSession Session { get; }

    /// <summary>Runs script text; host text written meanwhile is in <see cref="RunResult.HostText"/>.</summary>
    public RunResult Run(string script, IDictionary<string, object?>? variables = null, bool render = false)
    {
        lock (this)
        {
            ClearText();
            var result = Session.RunText(script, render, variables);
            return new RunResult(result, _out.ToString(), _err.ToString());
        }
    }

    public RunResult RunFile(string path, params object?[] arguments)
    {
        lock (this)
        {
            ClearText();
            var result = Session.RunFile(path, arguments, render: true);
            return new RunResult(result, _out.ToString(), _err.ToString());
        }
    }

    /// <summary>The path of a file of the MNIST digits in data/mnist, quoted for a single-quoted string in a script.</summary>
    public string MnistInScript(string file) => Path.Combine(RepoRoot, "data", "mnist", file).Replace("'", "''");

    public string NewTempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "condensaps-module-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private void ClearText()
    {
        _out.GetStringBuilder().Clear();
        _err.GetStringBuilder().Clear();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CondensaPS.sln"))) return dir.FullName;
        throw new InvalidOperationException("CondensaPS.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose() => Session.Dispose();
}

public sealed record RunResult(ScriptResult Script, string HostText, string ErrorText)
{
    public IReadOnlyList<PSObject> Output => Script.Output;
    public IReadOnlyList<ErrorRecord> Errors => Script.Errors;
    public ErrorRecord? Terminating => Script.TerminatingError;

    /// <summary>The one error the script produced (terminating or not), for asserting on ErrorId and category.</summary>
    public ErrorRecord SingleError()
    {
        var all = Errors.Concat(Terminating is null ? Array.Empty<ErrorRecord>() : new[] { Terminating }).ToList();
        Assert.True(all.Count >= 1, "Expected an error, got none. Host text: " + HostText + ErrorText);
        return all[0];
    }

    public void AssertSucceeded()
    {
        Assert.True(Script.Succeeded, "Script failed:\n" + string.Join("\n", Errors.Concat(Terminating is null ? Array.Empty<ErrorRecord>() : new[] { Terminating }).Select(HostedSession.FormatErrorRecord)) + "\n" + ErrorText);
    }
}

[CollectionDefinition(Name)]
public sealed class ModuleCollection : ICollectionFixture<ModuleSession>
{
    public const string Name = "module";
}
