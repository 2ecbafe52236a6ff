using CondensaPS.Engine.Data;
using CondensaPS.Engine.Formats;
using ScottPlot;
using System.Globalization;
using System.Text;
using SkiaSharp;

namespace CondensaPS.Engine.Charts;

/// <summary>
/// Writes one or more ScottPlot plots, stacked top to bottom, as a PNG and an SVG beside it (the same name with
/// ".svg"), each atomically. SkiaSharp's natives are loaded from the module's folder first (<see cref="SkiaNative"/>).
/// </summary>
public static class ChartFiles
{
    /// <summary>The SVG path that goes with a PNG path.</summary>
    public static string SvgPath(string pngPath) => Path.ChangeExtension(pngPath, ".svg");

    /// <summary>Writes the PNG and the SVG; returns their paths.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<Plot> plots, string pngPath, int width, int heightEach, bool overwrite = true)
    {
        SkiaNative.EnsureLoaded();
        var png = Path.GetFullPath(pngPath);
        var svg = SvgPath(png);
        AtomicFile.CheckWritable(png, overwrite);
        AtomicFile.CheckWritable(svg, overwrite);
        int height = heightEach * plots.Count;

        // Each plot renders into its own surface (ScottPlot clears the canvas it renders on), then onto the page.
        using (var page = SKSurface.Create(new SKImageInfo(width, height)))
        {
            page.Canvas.Clear(SKColors.White);
            for (int i = 0; i < plots.Count; i++)
            {
                using var surface = SKSurface.Create(new SKImageInfo(width, heightEach));
                plots[i].Render(surface.Canvas, width, heightEach);
                using var image = surface.Snapshot();
                page.Canvas.DrawImage(image, 0, i * heightEach);
            }
            using var snapshot = page.Snapshot();
            using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
            AtomicFile.WriteAllBytes(png, overwrite, data.ToArray());
        }
        // The SVG nests each plot's own SVG document at its offset.
        var svgText = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n");
        for (int i = 0; i < plots.Count; i++)
        {
            var inner = plots[i].GetSvgXml(width, heightEach);
            int open = inner.IndexOf("<svg", StringComparison.Ordinal);
            if (open < 0) throw new EngineException("ChartFailed", EngineErrorKind.InvalidOperation, "ScottPlot returned no SVG.");
            inner = inner[open..].Insert(4, string.Create(CultureInfo.InvariantCulture, $" x=\"0\" y=\"{i * heightEach}\""));
            svgText.Append(inner).Append('\n');
        }
        svgText.Append("</svg>\n");
        AtomicFile.WriteAllText(svg, overwrite, svgText.ToString());
        return new[] { png, svg };
    }
}
