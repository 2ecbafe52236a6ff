using System.Globalization;
using CondensaPS.Engine.Data;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Metrics;

/// <summary>Runs a reference and a compressed model over a data set and compares their predicted labels.</summary>
public static class MismatchMeasurer
{
    /// <summary>
    /// Compares the two models on <paramref name="data"/>; with <paramref name="byScore"/> (a score per sample, how to
    /// bucket it and how many flipped samples to list) also breaks the mismatches down by that score.
    /// </summary>
    public static MismatchReport Measure(CompressionModel reference, CompressionModel compressed, Dataset data, OperationContext ctx, ScoreBreakdownRequest? byScore = null)
    {
        TorchRuntime.EnsureInitialized();
        DatasetModelCheck.Require(data, reference);
        DatasetModelCheck.Require(data, compressed);
        if (byScore is not null && byScore.Scores.Count != data.Count)
            throw new EngineException("ScoreCountMismatch", EngineErrorKind.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"Got {byScore.Scores.Count:N0} score(s) for the {data.Count:N0} samples of '{data.Name}': give one score per sample, in the data set's order."), byScore.Scores.Count);
        ctx.Report(new OperationProgress("Measure-Mismatch", $"reference '{reference.Name}' on {data.Count:N0} samples", 0));
        var r = Predictor.Predict(reference, data, ctx);
        ctx.Report(new OperationProgress("Measure-Mismatch", $"compressed '{compressed.Name}' on {data.Count:N0} samples", 50));
        var c = Predictor.Predict(compressed, data, ctx);
        ctx.Report(new OperationProgress("Measure-Mismatch", "done", 100, Completed: true));
        var report = MismatchMetrics.Compute(data.Labels, r, c, data.Classes, reference.Name, compressed.Name, data.Name);
        if (byScore is null) return report;
        return report.WithByScore(MismatchByScoreMetrics.Compute(data.Labels, r, c, byScore.Scores, byScore.Name, byScore.Bucketing, byScore.Top));
    }
}

/// <summary>What Measure-Mismatch -Score asks for: the scores (one per sample), their name, the buckets and how many flipped samples to list.</summary>
public sealed record ScoreBreakdownRequest(string Name, IReadOnlyList<double> Scores, ScoreBucketing Bucketing, int Top = MismatchByScoreMetrics.DefaultTop);
