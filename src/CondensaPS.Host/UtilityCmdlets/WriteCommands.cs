using System.Collections;
using System.Management.Automation;

namespace CondensaPS.Host.UtilityCmdlets;

/// <summary>Write-Host: writes objects as text to the host, separated by spaces.</summary>
[Cmdlet(VerbsCommunications.Write, "Host")]
public sealed class WriteHostCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromRemainingArguments = true)]
    public object? Object { get; set; }

    [Parameter] public SwitchParameter NoNewline { get; set; }
    [Parameter] public object Separator { get; set; } = " ";
    [Parameter] public ConsoleColor ForegroundColor { get; set; }
    [Parameter] public ConsoleColor BackgroundColor { get; set; }

    protected override void ProcessRecord()
    {
        var text = Render(Object);
        if (NoNewline) Host.UI.Write(text); else Host.UI.WriteLine(text);
    }

    private string Render(object? value) => value switch
    {
        null => "",
        PSObject pso when pso.BaseObject is not PSCustomObject => Render(pso.BaseObject),
        string s => s,
        IEnumerable e => string.Join(Separator?.ToString() ?? " ", e.Cast<object?>().Select(Render)),
        _ => LanguagePrimitives.ConvertTo<string>(value),
    };
}

/// <summary>Write-Output: sends objects down the pipeline.</summary>
[Cmdlet(VerbsCommunications.Write, "Output")]
public sealed class WriteOutputCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true, ValueFromRemainingArguments = true)]
    [AllowNull, AllowEmptyCollection]
    public PSObject[]? InputObject { get; set; }

    [Parameter] public SwitchParameter NoEnumerate { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject == null) return;
        foreach (var item in InputObject) WriteObject(item, !NoEnumerate);
    }
}

[Cmdlet(VerbsCommunications.Write, "Verbose")]
public sealed class WriteVerboseCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyString] public string Message { get; set; } = "";

    protected override void ProcessRecord() => WriteVerbose(Message);
}

[Cmdlet(VerbsCommunications.Write, "Warning")]
public sealed class WriteWarningCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyString] public string Message { get; set; } = "";

    protected override void ProcessRecord() => WriteWarning(Message);
}

/// <summary>Write-Error: a non-terminating error with an optional ErrorId and category.</summary>
[Cmdlet(VerbsCommunications.Write, "Error")]
public sealed class WriteErrorCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true)]
    [AllowEmptyString] public string Message { get; set; } = "";

    [Parameter] public string ErrorId { get; set; } = "Microsoft.PowerShell.Commands.WriteErrorException";
    [Parameter] public ErrorCategory Category { get; set; } = ErrorCategory.NotSpecified;
    [Parameter] public object? TargetObject { get; set; }

    protected override void ProcessRecord() =>
        WriteError(new ErrorRecord(new RuntimeException(Message), ErrorId, Category, TargetObject));
}

[Cmdlet(VerbsCommunications.Write, "Progress")]
public sealed class WriteProgressCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true)] public string Activity { get; set; } = "";
    [Parameter(Position = 1)] public string? Status { get; set; }
    [Parameter] public int Id { get; set; }
    [Parameter] public int PercentComplete { get; set; } = -1;
    [Parameter] public int ParentId { get; set; } = -1;
    [Parameter] public SwitchParameter Completed { get; set; }

    protected override void ProcessRecord() =>
        WriteProgress(new ProgressRecord(Id, Activity, string.IsNullOrEmpty(Status) ? "Processing" : Status)
        {
            PercentComplete = PercentComplete,
            ParentActivityId = ParentId,
            RecordType = Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        });
}
