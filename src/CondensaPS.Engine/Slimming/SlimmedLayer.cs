namespace CondensaPS.Engine.Slimming;

/// <summary>
/// One convolution or linear layer in a slimming report: its channels (inputs and outputs) and multiply-accumulates
/// per sample before and after, and what happened to it and why (removed, coupled with other layers, kept at the
/// one-channel minimum or the cap, or left as it is because of what its channels are coupled with).
/// </summary>
public sealed record SlimmedLayer(string Layer, string Kind, long InBefore, long InAfter, long OutBefore, long OutAfter,
    long MacsBefore, long MacsAfter, string Note)
{
    public bool Changed => InAfter != InBefore || OutAfter != OutBefore;

    public override string ToString() => $"{Layer}: {InBefore}->{InAfter} in, {OutBefore}->{OutAfter} out ({Note})";
}
