namespace CondensaPS.HelpBuilder;

/// <summary>One cmdlet's help page as docs/en-US/&lt;Verb-Noun&gt;.md writes it (platyPS's schema 2.0.0).</summary>
public sealed class CmdletPage
{
    public string Path { get; init; } = "";
    public string Name { get; set; } = "";
    public List<string> Synopsis { get; } = new();
    /// <summary>SYNTAX: one entry per parameter set, its name as written ("Path", "Path (Default)", "__AllParameterSets").</summary>
    public List<SyntaxBlock> Syntax { get; } = new();
    public List<string> Description { get; } = new();
    public List<HelpExample> Examples { get; } = new();
    public List<HelpParameter> Parameters { get; } = new();
    public List<TypeNote> Inputs { get; } = new();
    public List<TypeNote> Outputs { get; } = new();
    public List<string> Notes { get; } = new();
    public List<HelpLink> Links { get; } = new();

    public string Verb => Name.Contains('-') ? Name[..Name.IndexOf('-')] : Name;
    public string Noun => Name.Contains('-') ? Name[(Name.IndexOf('-') + 1)..] : "";
}

public sealed record SyntaxBlock(string SetName, bool IsDefault, string Text);

public sealed class HelpExample
{
    public string Title { get; set; } = "";
    public string Code { get; set; } = "";
    public List<string> Remarks { get; } = new();
}

public sealed class HelpParameter
{
    public string Name { get; set; } = "";
    public List<string> Description { get; } = new();
    /// <summary>The yaml blocks under the parameter: one, or one per group of parameter sets where they differ.</summary>
    public List<ParameterMetadata> Metadata { get; } = new();
}

/// <summary>A parameter's yaml block: Type, Parameter Sets, Aliases, Accepted values, Required, Position, ...</summary>
public sealed class ParameterMetadata
{
    public Dictionary<string, string> Fields { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string this[string key] => Fields.TryGetValue(key, out var v) ? v : "";
    public string Type => this["Type"];
    public IReadOnlyList<string> Sets => Split(this["Parameter Sets"]);
    public IReadOnlyList<string> Aliases => Split(this["Aliases"]);
    public bool Required => this["Required"].Equals("True", StringComparison.OrdinalIgnoreCase);
    public string Position => this["Position"] is { Length: > 0 } p ? p : "Named";
    public string DefaultValue => this["Default value"] is { Length: > 0 } d ? d : "None";
    public string PipelineInput => this["Accept pipeline input"] is { Length: > 0 } p ? p : "False";
    public bool Wildcards => this["Accept wildcard characters"].Equals("True", StringComparison.OrdinalIgnoreCase);

    public bool AppliesTo(string set) => Sets.Contains("(All)") || Sets.Contains(set, StringComparer.OrdinalIgnoreCase);

    private static IReadOnlyList<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed record TypeNote(string Type, IReadOnlyList<string> Description);

public sealed record HelpLink(string Text, string Uri);
