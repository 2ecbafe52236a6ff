namespace CondensaPS.Engine.Pruning;

/// <summary>What a pruning step removes.</summary>
public enum PruneMethod
{
    /// <summary>Single weights by magnitude (unstructured).</summary>
    Magnitude,
    /// <summary>Whole Conv2d output filters.</summary>
    Filter,
    /// <summary>Whole Linear output rows.</summary>
    Neuron,
    /// <summary>N of every M consecutive weights along the input dimension are kept.</summary>
    NM,
    /// <summary>Rectangular blocks of the (output x flattened input) weight matrix.</summary>
    Block,
}

/// <summary>Where the ratio applies: one threshold over all selected weights, or each layer to the ratio.</summary>
public enum PruneScope
{
    Global,
    Layer,
}

/// <summary>How filters, rows and blocks are ranked (lowest pruned first).</summary>
public enum PruneCriterion
{
    /// <summary>Sum of absolute values.</summary>
    L1,
    /// <summary>Euclidean norm.</summary>
    L2,
    /// <summary>Largest absolute value.</summary>
    Max,
    /// <summary>Mean absolute value.</summary>
    Mean,
    /// <summary>Euclidean norm divided by the square root of the element count (comparable across sizes).</summary>
    ScaledL2,
}
