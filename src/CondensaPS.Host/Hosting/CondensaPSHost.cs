using System.Globalization;
using System.Management.Automation.Host;

namespace CondensaPS.Host.Hosting;

/// <summary>The PSHost of the `condensa` program and the hosted test runspaces: text goes to writers.</summary>
public sealed class CondensaPSHost : PSHost
{
    private readonly CondensaHostUserInterface _ui;

    public CondensaPSHost(TextWriter output, TextWriter error, bool progressBar)
    {
        _ui = new CondensaHostUserInterface(output, error, progressBar);
    }

    public int? ExitCode { get; private set; }
    public override string Name => "condensa";
    public override Version Version => typeof(CondensaPSHost).Assembly.GetName().Version ?? new Version(0, 1);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public CondensaHostUserInterface HostUI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;
    public override void EnterNestedPrompt() => throw new NotSupportedException("condensa runs scripts non-interactively; nested prompts are not available.");
    public override void ExitNestedPrompt() => throw new NotSupportedException("condensa runs scripts non-interactively; nested prompts are not available.");
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}
