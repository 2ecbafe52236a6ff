namespace CondensaPS.Engine.Pruning;

/// <summary>Realised sparsity of one pruned weight, as a pruning step reports it.</summary>
public sealed record LayerSparsity(string Name, string Shape, long Parameters, long Zeros)
{
    public double Sparsity => Parameters == 0 ? 0 : (double)Zeros / Parameters;

    public override string ToString() => $"{Name} [{Shape}] {Zeros}/{Parameters} zero ({Sparsity:P2})";
}
