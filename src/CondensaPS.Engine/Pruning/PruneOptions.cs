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
    public const string Slim = "slim";
    public const string MaxLayerSparsity = "max-layer-sparsity";
    public const string InputShape = "input-shape";

    public static readonly IReadOnlyCollection<string> Keys = new[] { Ratio, Method, Scope, Criterion, Align, N, M, BlockSize, Include, Exclude, InPlace, Slim, MaxLayerSparsity, InputShape };

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
    /// <summary>Filter/Neuron: remove the pruned channels (and everything coupled with them) instead of masking them.</summary>
    public bool IsSlim { get; init; }
    /// <summary>The most any one layer (or group of coupled channels) may lose, 0 &lt; s &lt;= 1; null for no cap.</summary>
    public double? LayerSparsityCap { get; init; }
    /// <summary>Slimming: the shape of one input sample the structure is analysed at (a built-in model knows its own).</summary>
    public IReadOnlyList<long>? SampleShape { get; init; }

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
        OnlyFor(Slim, PruneMethod.Filter, PruneMethod.Neuron);
        OnlyFor(MaxLayerSparsity, PruneMethod.Magnitude, PruneMethod.Filter, PruneMethod.Neuron, PruneMethod.Block);
        bool slim = s.GetBool(Slim, false);
        if (s.Has(InputShape) && !slim)
            throw new StepSettingException(step, InputShape, "applies to slimming (slim: true): the input size the model's structure is analysed at.", s[InputShape]);
        if (slim && s.GetBool(InPlace, false))
            throw new StepSettingException(step, InPlace, "does not apply to slimming: a slimmed model has other shapes, so it is always a new model.", s[InPlace]);
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
        if (scope == PruneScope.Global && method != PruneMethod.Magnitude && !slim)
            throw new StepSettingException(step, Scope, $"global applies to magnitude pruning and to slimming; {StepSettings.ToKebab(method.ToString())} pruning with masks ranks within each layer (scope layer).", s[Scope]);
        var criterion = s.GetEnum(Criterion, PruneCriterion.L1);
        if (slim && criterion is not (PruneCriterion.L1 or PruneCriterion.L2))
            throw new StepSettingException(step, Criterion, $"slimming ranks groups of coupled channels by l1 or l2 (sums of |w| or w^2 over the group), not {StepSettings.ToKebab(criterion.ToString())}.", s[Criterion]);
        double? cap = s.Has(MaxLayerSparsity) ? s.GetDouble(MaxLayerSparsity, 1, 0, 1) : null;
        if (cap is 0) throw new StepSettingException(step, MaxLayerSparsity, "0 would prune nothing; give the largest fraction any one layer may lose, 0 < s <= 1.", s[MaxLayerSparsity]);
        IReadOnlyList<long>? sampleShape = null;
        if (s.Has(InputShape))
        {
            sampleShape = s.GetInts(InputShape);
            if (sampleShape.Count is 0 or > 6 || sampleShape.Any(d => d < 1))
                throw new StepSettingException(step, InputShape, $"'{string.Join(",", sampleShape)}' is not the shape of one sample: give 1 to 6 positive sizes, e.g. 3,224,224.", s[InputShape]);
        }

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
            PruneCriterion = criterion,
            AlignTo = (int)s.GetInt(Align, 1, 1, 65536),
            KeepN = n,
            GroupM = m,
            BlockRows = rows,
            BlockColumns = cols,
            IncludePatterns = s.GetStrings(Include),
            ExcludePatterns = s.GetStrings(Exclude),
            IsInPlace = s.GetBool(InPlace, false),
            IsSlim = slim,
            LayerSparsityCap = cap,
            SampleShape = sampleShape,
        };
    }

    /// <summary>How many of <paramref name="count"/> items a ratio removes: round(ratio * count), half to even, as
    /// torch.nn.utils.prune does.</summary>
    public static long PruneCount(double ratio, long count) => (long)Math.Round(ratio * count, MidpointRounding.ToEven);
}
