using System.Management.Automation;

namespace CondensaPS.Host.UtilityCmdlets;

/// <summary>Join-Path: joins a parent path and child paths.</summary>
[Cmdlet(VerbsCommon.Join, "Path")]
[OutputType(typeof(string))]
public sealed class JoinPathCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true)] public string[] Path { get; set; } = Array.Empty<string>();
    [Parameter(Position = 1, Mandatory = true)] [AllowEmptyString] public string ChildPath { get; set; } = "";
    [Parameter(Position = 2, ValueFromRemainingArguments = true)] public string[]? AdditionalChildPath { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var parent in Path)
        {
            var result = System.IO.Path.Combine(parent, ChildPath.TrimStart('/', '\\'));
            foreach (var child in AdditionalChildPath ?? Array.Empty<string>())
                result = System.IO.Path.Combine(result, child.TrimStart('/', '\\'));
            WriteObject(result);
        }
    }
}

/// <summary>Test-Path: whether a file or folder exists (relative paths against the current location).</summary>
[Cmdlet(VerbsDiagnostic.Test, "Path")]
[OutputType(typeof(bool))]
public sealed class TestPathCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString] public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter] public TestPathType PathType { get; set; } = TestPathType.Any;

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            if (string.IsNullOrWhiteSpace(p)) { WriteObject(false); continue; }
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
            bool exists = PathType switch
            {
                TestPathType.Leaf => File.Exists(full),
                TestPathType.Container => Directory.Exists(full),
                _ => File.Exists(full) || Directory.Exists(full),
            };
            WriteObject(exists);
        }
    }
}

public enum TestPathType { Any, Container, Leaf }

/// <summary>Split-Path: the parent folder (default) or the leaf of a path.</summary>
[Cmdlet(VerbsCommon.Split, "Path", DefaultParameterSetName = "Parent")]
[OutputType(typeof(string))]
public sealed class SplitPathCommand : PSCmdlet
{
    [Parameter(Position = 0, Mandatory = true, ValueFromPipeline = true)] public string[] Path { get; set; } = Array.Empty<string>();
    [Parameter(ParameterSetName = "Parent")] public SwitchParameter Parent { get; set; }
    [Parameter(ParameterSetName = "Leaf", Mandatory = true)] public SwitchParameter Leaf { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var p in Path)
        {
            var trimmed = p.TrimEnd('/', '\\');
            WriteObject(Leaf ? System.IO.Path.GetFileName(trimmed) : System.IO.Path.GetDirectoryName(trimmed) ?? "");
        }
    }
}
