namespace CondensaPS.Pester.Tests;

/// <summary>One run of every Pester suite, shared by the tests of <see cref="PesterSuites"/>.</summary>
public sealed class PesterRun
{
    private readonly Lazy<PesterReport> _report = new(PesterProcess.RunAll);

    public PesterReport Report => _report.Value;
}
