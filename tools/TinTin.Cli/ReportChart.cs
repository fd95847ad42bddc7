using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace TinTin.Cli
{
    /// <summary>One line of a chart: its name (for the legend), its points and its colour.</summary>
    public sealed class ChartSeries
    {
        public string Name { get; }
        public IReadOnlyList<(double X, double Y)> Points { get; }
        public string Color { get; }

        public ChartSeries(string name, IReadOnlyList<(double X, double Y)> points, string color)
        {
            Name = name; Points = points; Color = color;
        }
    }

    /// <summary>
    /// A line chart of `tintin report`, drawn by ScottPlot 5 (SkiaSharp): title and subtitle, axis labels,
    /// lines with markers (solid only: Skia's SVG writer cannot dash), a legend when there are several, "no data" when empty, one k/M unit per axis.
    /// The same plot is written as SVG and as PNG; no external program is involved.
    /// </summary>
    public sealed class ReportChart
    {
        public string Title { get; set; } = "";
        public string Subtitle { get; set; } = "";
        public string XLabel { get; set; } = "";
        public string YLabel { get; set; } = "";
        public int Width { get; set; } = 760;
        public int Height { get; set; } = 420;
        /// <summary>Fixed y range (e.g. 0–100 for a percentage); null: from the data, including 0 when YFromZero.</summary>
        public double? YMin { get; set; }
        public double? YMax { get; set; }
        public bool YFromZero { get; set; } = true;
        public List<ChartSeries> Series { get; } = new List<ChartSeries>();

        public static readonly string[] Palette = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b" };

        /// <summary>The chart as an SVG document.</summary>
        public string RenderSvg() => Build().GetSvgXml(Width, Height);

        /// <summary>The chart as PNG bytes.</summary>
        public byte[] RenderPng() => Build().GetImage(Width, Height).GetImageBytes(ImageFormat.Png);

        private Plot Build()
        {
            var plot = new Plot();
            plot.Font.Set(Fonts.Sans);
            plot.Title(Subtitle.Length > 0 ? Title + "\n" + Subtitle : Title, size: 16);
            plot.XLabel(XLabel, size: 13);
            plot.YLabel(YLabel, size: 13);
            var drawn = Series.Where(s => s.Points.Count > 0).ToList();
            foreach (ChartSeries series in drawn)
            {
                var line = plot.Add.Scatter(series.Points.Select(p => p.X).ToArray(), series.Points.Select(p => p.Y).ToArray());
                line.Color = Color.FromHex(series.Color);
                line.LineWidth = 2;
                line.MarkerSize = series.Points.Count <= 60 ? 5 : 0;
                line.LegendText = series.Name;
            }
            if (drawn.Count > 1) { plot.ShowLegend(Alignment.UpperRight); }
            else plot.HideLegend();

            if (drawn.Count == 0)
            {
                plot.Add.Annotation("no data", Alignment.MiddleCenter);
                plot.Axes.SetLimits(0, 1, YMin ?? 0, YMax ?? 1);
                return plot;
            }
            double xMin = drawn.Min(s => s.Points.Min(p => p.X)), xMax = drawn.Max(s => s.Points.Max(p => p.X));
            double yMin = drawn.Min(s => s.Points.Min(p => p.Y)), yMax = drawn.Max(s => s.Points.Max(p => p.Y));
            if (YFromZero) { yMin = Math.Min(0, yMin); yMax = Math.Max(0, yMax); }
            (yMin, yMax) = Widen(YMin ?? yMin, YMax ?? yMax);
            if (YMin == null && YMax == null) yMax += (yMax - yMin) * 0.05; // headroom above the highest point
            (xMin, xMax) = Widen(xMin, xMax);
            plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
            SetLabels(plot.Axes.Bottom, Math.Max(Math.Abs(xMin), Math.Abs(xMax)));
            SetLabels(plot.Axes.Left, Math.Max(Math.Abs(yMin), Math.Abs(yMax)));
            return plot;
        }

        private static void SetLabels(IAxis axis, double axisMax)
        {
            axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = value => TickLabel(value, axisMax) };
        }

        /// <summary>A range that is never empty: a single point or a flat line gets room around it.</summary>
        public static (double Min, double Max) Widen(double min, double max)
        {
            if (max > min) return (min, max);
            double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
            return (min - pad, max + pad);
        }

        /// <summary>
        /// A tick label with the unit (k, M) chosen from the axis's largest value, so every label on an axis
        /// uses the same one: on an axis up to 20000, 15000 → 15k; up to 2000000, 2500000 → 2.5M; 0.25 → 0.25.
        /// </summary>
        public static string TickLabel(double value, double axisMax)
        {
            double a = Math.Abs(axisMax);
            if (Math.Abs(value) < Math.Max(a, 1) * 1e-12) return "0";
            if (a >= 1e6) return (value / 1e6).ToString("0.###", CultureInfo.InvariantCulture) + "M";
            if (a >= 1e4) return (value / 1e3).ToString("0.###", CultureInfo.InvariantCulture) + "k";
            return value.ToString("0.####", CultureInfo.InvariantCulture);
        }
    }
}
