using System.Collections;
using System.Globalization;
using System.Management.Automation;
using CondensaPS.Host.Hosting;

namespace CondensaPS.Host.Commands;

/// <summary>
/// <c>condensa strategy.yaml --model m.pt ...</c>: imports the data sets, runs Invoke-CompressionStrategy, prints the
/// history, exports with --output, and shows the model. Each is one command of its own, run only when the one before
/// succeeded, so a failing step reports one error and nothing after it runs.
/// </summary>
public static class StrategyCommand
{
    public static int Run(HostedSession session, StrategyArguments a, TextWriter output)
    {
        if (!TryImportData(session, a.Data, "Training", out var data)) return 1;
        if (!TryImportData(session, a.ValidationData, "Validation", out var validation)) return 1;
        var run = session.RunCommand("Invoke-CompressionStrategy", new Dictionary<string, object?>
        {
            ["Path"] = a.Strategy,
            ["Model"] = a.Model,
            ["Architecture"] = a.Architecture,
            ["Parameters"] = a.Parameters,
            ["Data"] = data,
            ["ValidationData"] = validation,
        });
        if (Failed(session, run) is { } code) return code;
        var model = run.Output.Single();
        foreach (var step in (System.Collections.IEnumerable)model.Properties["History"].Value)
            output.WriteLine(HistoryLine(PSObject.AsPSObject(step)));
        if (a.Output != null)
        {
            var export = session.RunCommand("Export-Model", new Dictionary<string, object?>
            {
                ["InputObject"] = model,
                ["Path"] = a.Output,
                ["Force"] = a.Force ? new SwitchParameter(true) : null,
                ["Report"] = new SwitchParameter(true),
            });
            if (Failed(session, export) is { } exportCode) return exportCode;
            output.WriteLine($"Wrote {export.Output.Single()}");
        }
        var shown = session.RunCommand("Out-Default", new Dictionary<string, object?> { ["InputObject"] = model });
        return Failed(session, shown) ?? 0;
    }

    /// <summary>Import-Dataset on the given paths (none: no data set, and success).</summary>
    private static bool TryImportData(HostedSession session, IReadOnlyList<string> paths, string what, out PSObject? data)
    {
        data = null;
        if (paths.Count == 0) return true;
        var result = session.RunCommand("Import-Dataset", new Dictionary<string, object?> { ["Path"] = paths.ToArray() });
        if (Failed(session, result) is not null) return false;
        data = result.Output.Single();
        session.Host.UI.WriteLine($"{what} data: {data}");
        return true;
    }

    /// <summary>Writes the errors of a command that failed and returns its exit code; null when it succeeded.</summary>
    private static int? Failed(HostedSession session, ScriptResult result)
    {
        if (result.Stopped) return result.ExitCode;
        foreach (var record in result.Errors) session.WriteErrorRecord(record);
        if (result.TerminatingError is { } terminating) session.WriteErrorRecord(terminating);
        return result.ExitCode != 0 ? result.ExitCode : null;
    }

    private static string HistoryLine(PSObject step)
    {
        var after = PSObject.AsPSObject(step.Properties["After"].Value);
        var elapsed = (TimeSpan)PSObject.AsPSObject(step.Properties["Elapsed"].Value).BaseObject;
        var sparsity = Convert.ToDouble(after.Properties["Sparsity"].Value, CultureInfo.InvariantCulture);
        var line = string.Format(CultureInfo.InvariantCulture, "{0}  ({1:N2} s, sparsity {2:P1}, {3}",
            step, elapsed.TotalSeconds, sparsity, after.Properties["DType"].Value);
        if (step.Properties["Results"].Value is IDictionary results && results.Contains("mismatches") && results.Contains("samples"))
            line += string.Format(CultureInfo.InvariantCulture, ", {0:N0} of {1:N0} labels differ from the reference", results["mismatches"], results["samples"]);
        return line + ")";
    }
}
