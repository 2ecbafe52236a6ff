using System.Globalization;
using CondensaPS.Engine.Metrics;
using ScottPlot;

namespace CondensaPS.Engine.Charts;

/// <summary>
/// The long-tail picture of a mismatch report: per score bucket (lowest scores left), the mismatch rate and the
/// negative-flip rate as bars with their standard errors, each bucket labelled with its score range and sample count,
/// and the overall negative-flip rate as a dashed line, so a concentration of flips in the high-score buckets shows as
/// bars rising above it.
/// </summary>
public static class MismatchByScoreChart
{
    private static readonly Color MismatchColor = Color.FromHex("#1f77b4");
    private static readonly Color NegativeColor = Color.FromHex("#d62728");

    public static IReadOnlyList<string> Write(MismatchReport report, string pngPath, bool overwrite)
    {
        var byScore = report.ByScore ?? throw new EngineException("ChartNoData", EngineErrorKind.InvalidArgument, "The mismatch report has no score breakdown to draw (Measure-Mismatch -Score).");
        if (byScore.Buckets.Length == 0 || byScore.Scored == 0)
            throw new EngineException("ChartNoData", EngineErrorKind.InvalidArgument, $"No sample has a {byScore.Score} score, so there is nothing to draw.");
        Data.SkiaNative.EnsureLoaded();
        var plot = new Plot();
        var bars = new List<Bar>();
        int k = byScore.Buckets.Length;
        for (int b = 0; b < k; b++)
        {
            var bucket = byScore.Buckets[b];
            double x = b * 3;
            bars.Add(new Bar { Position = x, Value = Percent(bucket.MismatchRate), Error = Percent(bucket.MismatchRateError), FillColor = MismatchColor });
            bars.Add(new Bar { Position = x + 1, Value = Percent(bucket.NegativeFlipRate), Error = Percent(bucket.NegativeFlipRateError), FillColor = NegativeColor });
        }
        plot.Add.Bars(bars);
        int scored = byScore.Buckets.Sum(b => b.Samples);
        double overall = scored == 0 ? 0 : 100.0 * byScore.Buckets.Sum(b => b.NegativeFlips) / scored;
        var line = plot.Add.HorizontalLine(overall, 1.5f, NegativeColor);
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"negative-flip rate over all scored samples ({overall:0.##}%)");

        var mismatchKey = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.FilledSquare, 10, MismatchColor);
        mismatchKey.LegendText = "mismatch rate";
        var negativeKey = plot.Add.Marker(double.NaN, double.NaN, MarkerShape.FilledSquare, 10, NegativeColor);
        negativeKey.LegendText = "negative-flip rate (reference right, compressed wrong)";
        plot.ShowLegend(Alignment.UpperLeft);

        var ticks = byScore.Buckets.Select((bucket, b) => new Tick(b * 3 + 0.5,
            string.Create(CultureInfo.InvariantCulture, $"{bucket.Range}\nn = {bucket.Samples:N0}"))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        double top = byScore.Buckets.Max(b => Math.Max(Percent(b.MismatchRate + b.MismatchRateError), Percent(b.NegativeFlipRate + b.NegativeFlipRateError)));
        plot.Axes.SetLimits(-1, k * 3 - 1, 0, Math.Max(top * 1.35, overall * 1.5) + 0.01);
        plot.XLabel($"{byScore.Score} ({byScore.Bucketing}; low to high)");
        plot.YLabel("% of the bucket's samples");
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{report.Compressed} against {report.Reference} on {report.Data}: flips by {byScore.Score} (correlation with negative flips {byScore.NegativeFlipCorrelation.Pearson:0.###})"), 13);
        int width = Math.Clamp(180 * k + 240, 720, 1600);
        return ChartFiles.Write(new[] { plot }, pngPath, width, 560, overwrite);
    }

    private static double Percent(double rate) => double.IsFinite(rate) ? 100 * rate : 0;
}
