using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Metrics;

/// <summary>Runs a reference and a compressed model over a data set and compares their predicted labels.</summary>
public static class MismatchMeasurer
{
    public static MismatchReport Measure(CompressionModel reference, CompressionModel compressed, Dataset data, OperationContext ctx)
    {
        TorchRuntime.EnsureInitialized();
        DatasetModelCheck.Require(data, reference);
        DatasetModelCheck.Require(data, compressed);
        ctx.Report(new OperationProgress("Measure-Mismatch", $"reference '{reference.Name}' on {data.Count:N0} samples", 0));
        var r = Predictor.Predict(reference, data, ctx);
        ctx.Report(new OperationProgress("Measure-Mismatch", $"compressed '{compressed.Name}' on {data.Count:N0} samples", 50));
        var c = Predictor.Predict(compressed, data, ctx);
        ctx.Report(new OperationProgress("Measure-Mismatch", "done", 100, Completed: true));
        return MismatchMetrics.Compute(data.Labels, r, c, data.Classes, reference.Name, compressed.Name, data.Name);
    }
}
