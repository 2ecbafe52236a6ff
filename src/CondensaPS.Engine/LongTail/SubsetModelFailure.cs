namespace CondensaPS.Engine.LongTail;

/// <summary>A subset model that did not finish: recorded with its error and excluded from every score.</summary>
public sealed record SubsetModelFailure(int Number, string ErrorId, string Error, string? LogPath = null)
{
    public override string ToString() => $"subset model {Number}: {ErrorId}: {Error}";
}
