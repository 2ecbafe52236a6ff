using System.Globalization;
using System.Text.RegularExpressions;
using System.Text;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CondensaPS.Host.UtilityCmdlets;

namespace CondensaPS.Host.Hosting;

/// <summary>
/// An in-process PowerShell runspace (InitialSessionState.CreateDefault2, which needs no ConsoleHost) with the
/// host's utility cmdlets and the CondensaPS module imported. Used by the `condensa` program and by the tests.
/// </summary>
public sealed class HostedSession : IDisposable
{
    private readonly Runspace _runspace;
    private readonly TextWriter _error;

    private HostedSession(Runspace runspace, CondensaPSHost host, TextWriter error)
    {
        _runspace = runspace;
        Host = host;
        _error = error;
    }

    public CondensaPSHost Host { get; }
    public Runspace Runspace => _runspace;

    /// <summary>Opens a session; throws <see cref="ModuleImportException"/> when the module fails to import.</summary>
    public static HostedSession Open(string? modulePath = null, TextWriter? output = null, TextWriter? error = null, bool progressBar = false, bool importModule = true)
    {
        output ??= TextWriter.Null;
        error ??= TextWriter.Null;
        var iss = InitialSessionState.CreateDefault2();
        foreach (var entry in UtilityCmdletTable.Entries) iss.Commands.Add(entry);
        var host = new CondensaPSHost(output, error, progressBar);
        var runspace = RunspaceFactory.CreateRunspace(host, iss);
        runspace.Open();
        var session = new HostedSession(runspace, host, error);
        if (!progressBar)
        {
            // Plain text, no ANSI colour codes, when the output is a log or a test.
            using var style = PowerShell.Create(runspace);
            style.AddScript("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }").Invoke();
        }
        if (importModule)
        {
            var manifest = modulePath ?? ModuleLocator.Find();
            using var ps = PowerShell.Create(runspace);
            ps.AddCommand("Import-Module").AddParameter("Name", manifest).AddParameter("ErrorAction", "Stop");
            try
            {
                ps.Invoke();
            }
            catch (RuntimeException e)
            {
                session.Dispose();
                throw new ModuleImportException($"Import-Module '{manifest}' failed: {e.Message}", e);
            }
        }
        return session;
    }

    /// <summary>Runs a script file with arguments, bound as <c>pwsh -File</c> binds them: a string that looks like
    /// a parameter name (<c>-Quick</c>, <c>-LearningRate</c>, <c>-Name:</c>) names a parameter, which PowerShell's own
    /// binder resolves (switch or value), and every other argument is passed as it is (strings stay strings and are
    /// converted to the parameter's type by the binder). With <paramref name="render"/>, output goes through Out-Default
    /// (the format views) to the host; otherwise it is returned.</summary>
    public ScriptResult RunFile(string path, IEnumerable<object?>? arguments = null, bool render = false)
    {
        var variables = new Dictionary<string, object?> { ["CondensaScriptPath"] = Path.GetFullPath(path) };
        var command = new StringBuilder("& $CondensaScriptPath");
        foreach (var argument in arguments ?? Array.Empty<object?>())
        {
            if (argument is string text && ParameterName.IsMatch(text))
            {
                command.Append(' ').Append(text);
                continue;
            }
            var name = "CondensaScriptArgument" + (variables.Count - 1).ToString(CultureInfo.InvariantCulture);
            variables[name] = argument;
            command.Append(" $").Append(name);
        }
        return RunText(command.ToString(), render, variables);
    }

    private static readonly Regex ParameterName = new(@"^-[A-Za-z_][A-Za-z0-9_]*:?$", RegexOptions.CultureInvariant);

    /// <summary>Runs script text (a script block's body).</summary>
    public ScriptResult RunText(string script, bool render = false, IDictionary<string, object?>? variables = null)
    {
        if (variables != null)
            foreach (var (name, value) in variables) _runspace.SessionStateProxy.SetVariable(name, value);
        return Run(ps => ps.AddScript(script), render);
    }

    private ScriptResult Run(Action<PowerShell> build, bool render)
    {
        _runspace.SessionStateProxy.SetVariable("LASTEXITCODE", 0);
        using var ps = PowerShell.Create(_runspace);
        build(ps);
        if (render) ps.AddCommand("Out-Default");
        var errors = new List<ErrorRecord>();
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            var record = ps.Streams.Error[e.Index];
            errors.Add(record);
            if (render) WriteErrorRecord(record);
        };
        if (render)
        {
            ps.Streams.Warning.DataAdded += (_, e) => Host.UI.WriteWarningLine(ps.Streams.Warning[e.Index].Message);
            ps.Streams.Verbose.DataAdded += (_, e) => Host.UI.WriteVerboseLine(ps.Streams.Verbose[e.Index].Message);
        }
        ErrorRecord? terminating = null;
        var output = new List<PSObject>();
        try
        {
            output.AddRange(ps.Invoke());
        }
        catch (RuntimeException e)
        {
            terminating = e.ErrorRecord;
            if (render) WriteErrorRecord(terminating);
        }
        finally
        {
            Host.HostUI.FinishProgress();
        }
        int exitCode;
        if (terminating != null) exitCode = 1;
        else if (Host.ExitCode is int hostExit) exitCode = hostExit;
        else if (_runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int last && last != 0) exitCode = last;
        else exitCode = errors.Count > 0 ? 1 : 0;
        return new ScriptResult(output, errors, terminating, exitCode);
    }

    /// <summary>"ERROR [ErrorId] message" and, where known, "  at file:line:column".</summary>
    public void WriteErrorRecord(ErrorRecord record)
    {
        Host.HostUI.FinishProgress();
        _error.WriteLine(FormatErrorRecord(record));
    }

    public static string FormatErrorRecord(ErrorRecord record)
    {
        var message = record.ErrorDetails?.Message ?? record.Exception?.Message ?? record.ToString();
        var text = $"ERROR [{record.FullyQualifiedErrorId}] ({record.CategoryInfo.Category}) {message}";
        var info = record.InvocationInfo;
        if (info != null && !string.IsNullOrEmpty(info.ScriptName))
            text += $"{Environment.NewLine}  at {info.ScriptName}:{info.ScriptLineNumber}:{info.OffsetInLine}";
        else if (info != null && info.ScriptLineNumber > 0)
            text += $"{Environment.NewLine}  at line {info.ScriptLineNumber}, column {info.OffsetInLine}";
        return text;
    }

    public void Dispose() => _runspace.Dispose();
}

/// <summary>The module could not be imported (for instance its natives are missing).</summary>
public sealed class ModuleImportException : Exception
{
    public ModuleImportException(string message, Exception inner) : base(message, inner) { }
}
