using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// The settings of a "prune" step, read and checked from <see cref="StepSettings"/>. Each setting belongs to the
/// methods it makes sense for; giving it to another method is an error rather than silently ignored.
/// </summary>
public sealed record PruneOptions
{
    public const string Ratio = "ratio";
    public const string Method = "method";
    public const string Scope = "scope";
    public const string Criterion = "criterion";
    public const string Align = "align";
    public const string N = "n";
    public const string M = "m";
    public const string BlockSize = "block-size";
    public const string Include = "include";
    public const string Exclude = "exclude";
    public const string InPlace = "in-place";

    public static readonly IReadOnlyCollection<string> Keys = new[] { Ratio, Method, Scope, Criterion, Align, N, M, BlockSize, Include, Exclude, InPlace };

    public double PruneRatio { get; init; }
    public PruneMethod PruneMethod { get; init; }
    public PruneScope PruneScope { get; init; }
    public PruneCriterion PruneCriterion { get; init; }
    public int AlignTo { get; init; } = 1;
    public int KeepN { get; init; } = 2;
    public int GroupM { get; init; } = 4;
    public int BlockRows { get; init; } = 1;
    public int BlockColumns { get; init; } = 4;
    public IReadOnlyList<string> IncludePatterns { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExcludePatterns { get; init; } = Array.Empty<string>();
    public bool IsInPlace { get; init; }

    public ParameterSelector Selector => new(IncludePatterns, ExcludePatterns);

    public static PruneOptions From(StepSettings s)
    {
        var method = s.GetEnum(Method, PruneMethod.Magnitude);
        string step = s.Step;
        void OnlyFor(string key, params PruneMethod[] methods)
        {
            if (s.Has(key) && !methods.Contains(method))
                throw new StepSettingException(step, key, $"applies to method {string.Join(" or ", methods.Select(m => StepSettings.ToKebab(m.ToString())))}, not {StepSettings.ToKebab(method.ToString())}.", s[key]);
        }
        OnlyFor(Criterion, PruneMethod.Filter, PruneMethod.Neuron, PruneMethod.Block);
        OnlyFor(Align, PruneMethod.Filter, PruneMethod.Neuron);
        OnlyFor(N, PruneMethod.NM);
        OnlyFor(M, PruneMethod.NM);
        OnlyFor(BlockSize, PruneMethod.Block);

        double ratio = 0;
        if (method == PruneMethod.NM)
        {
            if (s.Has(Ratio))
                throw new StepSettingException(step, Ratio, "does not apply to method nm: its sparsity is 1 - n/m.", s[Ratio]);
        }
        else
        {
            if (!s.Has(Ratio)) throw new StepSettingException(step, Ratio, "is required: the fraction of weights to remove, 0 <= ratio < 1.");
            ratio = s.GetDouble(Ratio, 0, 0, 1, maxExclusive: true);
        }

        var scope = s.GetEnum(Scope, method == PruneMethod.Magnitude ? PruneScope.Global : PruneScope.Layer);
        if (scope == PruneScope.Global && method != PruneMethod.Magnitude)
            throw new StepSettingException(step, Scope, $"global applies to magnitude pruning; {StepSettings.ToKebab(method.ToString())} pruning ranks within each layer (scope layer).", s[Scope]);

        int n = (int)s.GetInt(N, 2, 1, 1024);
        int m = (int)s.GetInt(M, 4, 1, 1024);
        if (method == PruneMethod.NM && n >= m)
            throw new StepSettingException(step, N, $"n ({n}) must be less than m ({m}).", n);

        int rows = 1, cols = 4;
        if (s.Has(BlockSize))
        {
            var size = s.GetInts(BlockSize);
            if (size.Count != 2 || size.Any(v => v < 1 || v > 65536))
                throw new StepSettingException(step, BlockSize, $"expected two positive integers (rows, columns), got '{string.Join(",", size)}'.", s[BlockSize]);
            rows = (int)size[0];
            cols = (int)size[1];
        }

        return new PruneOptions
        {
            PruneRatio = ratio,
            PruneMethod = method,
            PruneScope = scope,
            PruneCriterion = s.GetEnum(Criterion, PruneCriterion.L1),
            AlignTo = (int)s.GetInt(Align, 1, 1, 65536),
            KeepN = n,
            GroupM = m,
            BlockRows = rows,
            BlockColumns = cols,
            IncludePatterns = s.GetStrings(Include),
            ExcludePatterns = s.GetStrings(Exclude),
            IsInPlace = s.GetBool(InPlace, false),
        };
    }

    /// <summary>How many of <paramref name="count"/> items a ratio removes: round(ratio * count), half to even, as
    /// torch.nn.utils.prune does.</summary>
    public static long PruneCount(double ratio, long count) => (long)Math.Round(ratio * count, MidpointRounding.ToEven);
}
