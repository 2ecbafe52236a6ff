using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CondensaPS.Host.Hosting;

/// <summary>
/// An in-process PowerShell runspace on the full PowerShell SDK (InitialSessionState.CreateDefault2, which needs no
/// ConsoleHost, with the standard Microsoft.PowerShell.* modules) and the CondensaPS module imported. Used by the
/// `condensa` program and by the tests.
/// </summary>
public sealed class HostedSession : IDisposable
{
    private readonly Runspace _runspace;
    private readonly TextWriter _error;
    private readonly object _running = new();
    private PowerShell? _current;
    private volatile bool _stopRequested;

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
        var host = new CondensaPSHost(output, error, progressBar);
        var runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
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
                throw new ModuleImportException($"Import-Module '{manifest}' failed [{e.ErrorRecord.FullyQualifiedErrorId}] ({e.ErrorRecord.CategoryInfo.Category}): {e.Message}", e);
            }
        }
        return session;
    }

    /// <summary>Runs a script file with arguments, bound as <c>pwsh -File</c> binds them (<see cref="ScriptArguments"/>).
    /// The script is the command itself, not a line of the host's, so every error position is in the user's file.
    /// With <paramref name="render"/>, output goes through Out-Default (the format views) to the host; otherwise it
    /// is returned.</summary>
    public ScriptResult RunFile(string path, IEnumerable<object?>? arguments = null, bool render = false)
    {
        var command = new Command(Path.GetFullPath(path), isScript: false, useLocalScope: true);
        foreach (var parameter in ScriptArguments.Bind(arguments ?? Array.Empty<object?>())) command.Parameters.Add(parameter);
        return Run(ps => ps.Commands.AddCommand(command), render);
    }

    /// <summary>Runs script text (a script block's body).</summary>
    public ScriptResult RunText(string script, bool render = false, IDictionary<string, object?>? variables = null)
    {
        if (variables != null)
            foreach (var (name, value) in variables) _runspace.SessionStateProxy.SetVariable(name, value);
        return Run(ps => ps.AddScript(script), render);
    }

    /// <summary>Runs one command with named parameters (null values are left out).</summary>
    public ScriptResult RunCommand(string name, IEnumerable<KeyValuePair<string, object?>> parameters, bool render = false) =>
        Run(ps =>
        {
            ps.AddCommand(name);
            foreach (var (key, value) in parameters)
                if (value != null) ps.AddParameter(key, value);
        }, render);

    /// <summary>Whether Ctrl+C (<see cref="Stop"/>) has stopped this session's work.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>
    /// Stops the running pipeline as Ctrl+C does in pwsh: the running cmdlet's StopProcessing is called, finally
    /// blocks run, and the pipeline ends with nothing more written. Later runs in this session do not start. Returns
    /// at once (safe to call from a signal handler).
    /// </summary>
    public void Stop()
    {
        _stopRequested = true;
        lock (_running) _current?.BeginStop(null, null);
    }

    private ScriptResult Run(Action<PowerShell> build, bool render)
    {
        if (_stopRequested) return new ScriptResult(Array.Empty<PSObject>(), Array.Empty<ErrorRecord>(), null, 0, Stopped: true);
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
        // Verbose, warning and debug records reach the host through the engine itself (each once); only errors,
        // which the engine leaves to the caller, are written here.
        ErrorRecord? terminating = null;
        bool stopped = false;
        var output = new List<PSObject>();
        try
        {
            lock (_running)
            {
                if (_stopRequested) return new ScriptResult(output, errors, null, 0, Stopped: true);
                _current = ps;
            }
            output.AddRange(ps.Invoke());
        }
        catch (PipelineStoppedException)
        {
            stopped = true;
        }
        catch (InvalidPowerShellStateException) when (_stopRequested)
        {
            stopped = true; // stopped between being made current and starting
        }
        catch (RuntimeException e)
        {
            terminating = e.ErrorRecord;
            if (render) WriteErrorRecord(terminating);
        }
        finally
        {
            lock (_running) _current = null;
            Host.HostUI.FinishProgress();
        }
        stopped |= ps.InvocationStateInfo.State == PSInvocationState.Stopped;
        int exitCode;
        if (terminating != null) exitCode = 1;
        else if (Host.ExitCode is int hostExit) exitCode = hostExit;
        else if (_runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int last && last != 0) exitCode = last;
        else exitCode = errors.Count > 0 ? 1 : 0;
        return new ScriptResult(output, errors, terminating, exitCode, stopped);
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
