namespace CondensaPS.Engine.Operations;

/// <summary>The engine's compression steps. Each new step is added to this list.</summary>
internal static class BuiltInOperations
{
    public static IEnumerable<ICompressionOperation> All()
    {
        yield return new Pruning.PruneOperation();
        yield return new Quantization.QuantizeOperation();
        yield return new Metrics.MeasureOperation();
        yield return new Training.RetrainOperation();
        yield return new Factorization.FactorizeOperation();
    }
}
