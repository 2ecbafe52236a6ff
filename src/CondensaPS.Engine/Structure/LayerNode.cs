using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>What kind of layer a convolution or linear call is, for the channel graph.</summary>
public enum LayerKind
{
    Convolution,
    /// <summary>One filter per input channel (groups = input channels = output channels): its channels are its input's.</summary>
    DepthwiseConvolution,
    /// <summary>Groups other than 1 and depthwise: channel groups are coupled in ways slimming leaves alone.</summary>
    GroupedConvolution,
    TransposedConvolution,
    Linear,
}

/// <summary>
/// One convolution or linear call the interpreter met: its weight and bias, its channel counts, groups and kernel,
/// its output shape and multiply-accumulates for the analysed input, where it was called, and the channel spaces it
/// reads and makes.
/// </summary>
internal sealed class LayerNode
{
    public required string Name { get; init; }
    public required LayerKind Kind { get; init; }
    public required string Weight { get; init; }
    public string? Bias { get; init; }
    public required long InChannels { get; init; }
    public required long OutChannels { get; init; }
    public long Groups { get; init; } = 1;
    public required IReadOnlyList<long> Kernel { get; init; }
    public required IReadOnlyList<long> OutputShape { get; init; }
    public required long Macs { get; init; }
    public required SourceSpan Site { get; init; }
    /// <summary>The literal groups argument of the call, when the code spells it out (depthwise convolutions).</summary>
    public SourceSpan? GroupsLiteral { get; init; }
    /// <summary>The groups argument is <c>torch.size(weight, 0)</c>: it follows the weight (what slimming writes for depthwise convolutions).</summary>
    public bool GroupsFollowWeight { get; init; }
    /// <summary>The name the call's weight argument is written as, when it is a plain name (the local variable holding the weight).</summary>
    public string? WeightArgument { get; init; }
    public required ChannelLayout Input { get; init; }
    public required ChannelSpace Output { get; init; }
}

/// <summary>A normalization call (batch norm): its parameters and buffers follow the channels it normalizes.</summary>
internal sealed record NormNode(string Name, IReadOnlyList<string> Tensors, ChannelSpace Space, SourceSpan Site);
