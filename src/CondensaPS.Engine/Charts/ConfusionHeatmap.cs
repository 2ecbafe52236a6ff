using System.Globalization;
using CondensaPS.Engine.Metrics;
using ScottPlot;

namespace CondensaPS.Engine.Charts;

/// <summary>
/// A mismatch report's reference-to-compressed confusion as a heat map: rows are the reference's labels, columns the
/// compressed model's, each cell shows its count; off-diagonal cells (the mismatches) are coloured on a logarithmic
/// scale so that a handful of flips stands out next to the diagonal's hundreds, which are drawn in grey.
/// </summary>
public static class ConfusionHeatmap
{
    /// <summary>The SVG written beside <paramref name="pngPath"/>.</summary>
    public static string SvgPathOf(string pngPath) => ChartFiles.SvgPath(pngPath);

    public static IReadOnlyList<string> Write(MismatchReport report, IReadOnlyList<string>? classNames, string pngPath, bool overwrite)
    {
        Data.SkiaNative.EnsureLoaded();
        int k = report.Confusion.Length;
        if (k == 0) throw new EngineException("ChartNoData", EngineErrorKind.InvalidArgument, "The mismatch report has no confusion table to draw (no samples).");
        var names = Enumerable.Range(0, k).Select(i => classNames is not null && i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture)).ToArray();
        long maxOff = 1;
        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
                if (r != c) maxOff = Math.Max(maxOff, report.Confusion[r][c]);

        var plot = new Plot();
        var cells = new double[k, k];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
                cells[r, c] = r == c ? double.NaN : Math.Log10(1 + report.Confusion[r][c]);
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.NaNCellColor = Color.FromHex("#d9d9d9");
        heatmap.ManualRange = new ScottPlot.Range(0, Math.Log10(1 + maxOff));
        var bar = plot.Add.ColorBar(heatmap);
        bar.Label = "log10(1 + count)";

        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
            {
                long n = report.Confusion[r][c];
                var text = plot.Add.Text(n.ToString(CultureInfo.InvariantCulture), c, k - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = k > 20 ? 8 : 12;
                text.LabelFontColor = r == c ? Colors.Black : n == 0 ? Color.FromHex("#7f7f7f") : Math.Log10(1 + n) > 0.6 * Math.Log10(1 + maxOff) ? Colors.Black : Colors.White;
            }
        var ticks = Enumerable.Range(0, k).Select(i => new Tick(i, names[i])).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, k).Select(i => new Tick(k - 1 - i, names[i])).ToArray());
        plot.Axes.SetLimits(-0.5, k - 0.5, -0.5, k - 0.5);
        plot.XLabel($"compressed model's label ({report.Compressed})");
        plot.YLabel($"reference's label ({report.Reference})");
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{report.Mismatches} of {report.Samples} samples change label ({report.MismatchRate:P2}); {report.MismatchesReferenceRight} where the reference is right"), 14);
        int size = Math.Clamp(60 * k + 220, 520, 1400);
        return ChartFiles.Write(new[] { plot }, pngPath, size + 80, size, overwrite);
    }
}
