using CondensaPS.Engine.Operations;
using CondensaPS.Engine.Pruning;

namespace CondensaPS.Engine.Factorization;

/// <summary>How convolutions are factorized (linear layers always by SVD).</summary>
public enum ConvolutionFactorization
{
    /// <summary>Tucker-2: 1x1, kernel, 1x1 (a triple of smaller convolutions).</summary>
    Tucker2,
    /// <summary>SVD of the kernel unfolded over its outputs: the kernel with r filters, then 1x1 (a pair).</summary>
    Svd,
}

/// <summary>The settings of a "factorize" step, read and checked from <see cref="StepSettings"/>.</summary>
public sealed record FactorizeOptions
{
    public static class Key
    {
        public const string Rank = "rank";
        public const string Energy = "energy";
        public const string Method = "method";
        public const string Include = "include";
        public const string Exclude = "exclude";
    }

    public static readonly IReadOnlyCollection<string> Keys = new[] { Key.Rank, Key.Energy, Key.Method, Key.Include, Key.Exclude };

    /// <summary>A fixed rank for every selected layer (each Tucker-2 mode too), or null when <see cref="Energy"/> chooses it.</summary>
    public int? Rank { get; init; }
    /// <summary>The share of squared singular values each layer keeps (the smallest rank that does), or null.</summary>
    public double? Energy { get; init; }
    public ConvolutionFactorization Method { get; init; }
    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Exclude { get; init; } = Array.Empty<string>();

    public ParameterSelector Selector => new(Include, Exclude);

    public static FactorizeOptions From(StepSettings s)
    {
        if (s.Has(Key.Rank) == s.Has(Key.Energy))
            throw new StepSettingException(s.Step, s.Has(Key.Rank) ? Key.Energy : Key.Rank, "give either rank (a whole number) or energy (a share in (0, 1]), not both and not neither.");
        double? energy = s.Has(Key.Energy) ? s.GetDouble(Key.Energy, 1, 0, 1) : null;
        if (energy is 0) throw new StepSettingException(s.Step, Key.Energy, "0 keeps nothing; energy must be in (0, 1].", s[Key.Energy]);
        return new FactorizeOptions
        {
            Rank = s.Has(Key.Rank) ? (int)s.GetInt(Key.Rank, 1, 1, 1 << 20) : null,
            Energy = energy,
            Method = s.GetEnum(Key.Method, ConvolutionFactorization.Tucker2),
            Include = s.GetStrings(Key.Include),
            Exclude = s.GetStrings(Key.Exclude),
        };
    }
}
