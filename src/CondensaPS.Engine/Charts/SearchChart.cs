using System.Globalization;
using CondensaPS.Engine.Search;
using CondensaPS.Engine.Search.Trials;
using ScottPlot;

namespace CondensaPS.Engine.Charts;

/// <summary>
/// The picture of a search: one panel per constraint and one for the objective, each against the searched parameter,
/// with the trials (green: feasible, red: not, grey crosses: failed; numbered in the order they ran), the Gaussian
/// process's mean and 95% band, the bound as a red line, the estimated feasible boundary as a purple vertical line in its
/// shaded uncertainty band, and the best trial as a star. Constraint values far above the bound are drawn at the top
/// edge with their value written beside them, so the region near the bound stays readable.
/// </summary>
public static class SearchChart
{
    private static readonly Color Feasible = Color.FromHex("#2ca02c");
    private static readonly Color Infeasible = Color.FromHex("#d62728");
    private static readonly Color Failed = Color.FromHex("#7f7f7f");
    private static readonly Color Model = Color.FromHex("#1f77b4");
    private static readonly Color BoundaryColor = Color.FromHex("#9467bd");

    public static IReadOnlyList<string> Write(SearchDefinition definition, IReadOnlyList<SearchTrial> trials, FeasibleBoundary boundary, SearchTrial? best, string pngPath)
    {
        // ScottPlot reads fonts through SkiaSharp as soon as a plot is made: its natives must be loaded first.
        Data.SkiaNative.EnsureLoaded();
        var observations = trials.Select(t => t.Observation(definition)).ToList();
        var surrogate = SearchSurrogate.Fit(definition, observations);
        var p = definition.Parameter;
        double pad = (p.Maximum - p.Minimum) * 0.03;
        var xs = Enumerable.Range(0, 201).Select(k => p.Minimum + (p.Maximum - p.Minimum) * k / 200.0).ToArray();
        var plots = new List<Plot>();
        bool NearRight(double x) => x > p.Maximum - 0.12 * (p.Maximum - p.Minimum);

        for (int i = 0; i < definition.Constraints.Count; i++)
        {
            var c = definition.Constraints[i];
            var plot = NewPlot();
            var values = trials.Select(t => (Trial: t, Value: t.Metric(TrialMetrics.Of(c.Metric)))).ToList();
            var known = values.Where(v => v.Value is not null).Select(v => v.Value!.Value).ToList();
            double low = Math.Min(known.Where(v => v <= c.Maximum).DefaultIfEmpty(c.Maximum).Min(), c.Maximum) - c.Scale;
            double high = c.Maximum + 4 * c.Scale;
            if (known.Count > 0 && known.Max() < high) high = Math.Max(known.Max(), c.Maximum) + c.Scale;
            double Clip(double v) => Math.Clamp(v, low, high);

            if (surrogate.Constraints[i] is not null)
            {
                var bands = xs.Select(x => surrogate.ConstraintBand(i, x)!.Value).ToArray();
                var fill = plot.Add.FillY(xs, bands.Select(b => Clip(b.Low)).ToArray(), bands.Select(b => Clip(b.High)).ToArray());
                fill.FillColor = Model.WithAlpha(0.18);
                fill.LineWidth = 0;
                fill.LegendText = "GP 95% band";
                var mean = plot.Add.ScatterLine(xs, bands.Select(b => Clip(b.Mean)).ToArray(), Model);
                mean.LineWidth = 2;
                mean.LegendText = "GP mean";
            }
            var bound = plot.Add.HorizontalLine(c.Maximum, 1.5f, Infeasible);
            bound.LegendText = $"bound {c.Maximum.ToString("G4", CultureInfo.InvariantCulture)}";
            AddBoundary(plot, boundary);
            foreach (var (trial, value) in values)
            {
                if (value is not { } v)
                {
                    plot.Add.Marker(trial.Value, c.Maximum, MarkerShape.Eks, 10, Failed);
                    Label(plot, trial.Value, c.Maximum, $"{trial.Number} failed", Failed, NearRight(trial.Value));
                    continue;
                }
                bool clipped = v > high;
                var color = trial.Feasible ? Feasible : Infeasible;
                plot.Add.Marker(trial.Value, Clip(v), clipped ? MarkerShape.FilledTriangleUp : MarkerShape.FilledCircle, 9, color);
                Label(plot, trial.Value, Clip(v), clipped ? $"{trial.Number}: {v.ToString("G3", CultureInfo.InvariantCulture)}" : trial.Number.ToString(CultureInfo.InvariantCulture), color, NearRight(trial.Value));
            }
            if (best is not null && best.Metric(TrialMetrics.Of(c.Metric)) is { } bv)
            {
                var star = plot.Add.Marker(best.Value, Clip(bv), MarkerShape.FilledDiamond, 14, Color.FromHex("#ff7f0e"));
                star.LegendText = $"best: {p.Name} {best.Value.ToString("0.####", CultureInfo.InvariantCulture)}";
            }
            plot.Axes.SetLimits(p.Minimum - pad, p.Maximum + pad, low, high + (high - low) * 0.08);
            plot.Title(string.Create(CultureInfo.InvariantCulture, $"{trials.FirstOrDefault()?.Search ?? "search"}: {c.Key} (at most {c.Maximum:G4}) against {p.Name}, {trials.Count} trial(s)"), 14);
            plot.YLabel(AxisLabel(c.Metric));
            plot.XLabel(p.Name);
            plot.ShowLegend(Alignment.UpperLeft);
            plots.Add(plot);
        }

        var objective = NewPlot();
        if (surrogate.Objective is not null)
        {
            var bands = xs.Select(x => surrogate.ObjectiveBand(x)!.Value).ToArray();
            var fill = objective.Add.FillY(xs, bands.Select(b => b.Low).ToArray(), bands.Select(b => b.High).ToArray());
            fill.FillColor = Model.WithAlpha(0.18);
            fill.LineWidth = 0;
            fill.LegendText = "GP 95% band";
            var mean = objective.Add.ScatterLine(xs, bands.Select(b => b.Mean).ToArray(), Model);
            mean.LineWidth = 2;
            mean.LegendText = "GP mean";
        }
        AddBoundary(objective, boundary);
        foreach (var trial in trials.Where(t => t.Objective is not null))
        {
            var color = trial.Feasible ? Feasible : Infeasible;
            objective.Add.Marker(trial.Value, trial.Objective!.Value, MarkerShape.FilledCircle, 9, color);
            Label(objective, trial.Value, trial.Objective!.Value, trial.Number.ToString(CultureInfo.InvariantCulture), color, NearRight(trial.Value));
        }
        if (best?.Objective is { } bo)
        {
            var star = objective.Add.Marker(best.Value, bo, MarkerShape.FilledDiamond, 14, Color.FromHex("#ff7f0e"));
            star.LegendText = string.Create(CultureInfo.InvariantCulture, $"best: {definition.Objective.Key} {bo:G6}");
        }
        objective.Axes.AutoScale();
        objective.Axes.SetLimitsX(p.Minimum - pad, p.Maximum + pad);
        objective.Title($"{definition.Objective} against {p.Name} (green: feasible, red: not)", 14);
        objective.YLabel(definition.Objective.Key);
        objective.XLabel(p.Name);
        objective.ShowLegend(definition.Objective.Maximize ? Alignment.LowerLeft : Alignment.UpperRight);
        plots.Add(objective);
        return ChartFiles.Write(plots, pngPath, 900, 430);
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Legend.FontSize = 11;
        return plot;
    }

    private static void AddBoundary(Plot plot, FeasibleBoundary boundary)
    {
        if (boundary.Estimate is not { } estimate) return;
        if (boundary.Lower is { } lo && boundary.Upper is { } hi && hi > lo)
        {
            var span = plot.Add.HorizontalSpan(lo, hi, BoundaryColor.WithAlpha(0.12));
            span.LegendText = "boundary 95% band";
        }
        var line = plot.Add.VerticalLine(estimate, 2, BoundaryColor);
        line.LegendText = $"estimated boundary {estimate.ToString("0.####", CultureInfo.InvariantCulture)}";
    }

    /// <summary>A trial's label above and to the right of its marker, or to the left near the right edge.</summary>
    private static void Label(Plot plot, double x, double y, string text, Color color, bool leftOfMarker)
    {
        var label = plot.Add.Text(text, x, y);
        label.LabelFontSize = 11;
        label.LabelFontColor = color;
        label.LabelAlignment = leftOfMarker ? Alignment.LowerRight : Alignment.LowerLeft;
        label.LabelOffsetX = leftOfMarker ? -6 : 6;
        label.LabelOffsetY = -4;
    }

    private static string AxisLabel(ConstraintMetric metric) => metric switch
    {
        ConstraintMetric.AccuracyDrop => "accuracy drop (points)",
        ConstraintMetric.MismatchRate => "mismatch rate",
        _ => "mismatches where the reference is right",
    };
}
