using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace TinTin.Cli
{
    /// <summary>One line of a chart: its name (for the legend), its points and its colour.</summary>
    public sealed class ChartSeries
    {
        public string Name { get; }
        public IReadOnlyList<(double X, double Y)> Points { get; }
        public string Color { get; }
        /// <summary>Draw as a step line (value holds until the next point), e.g. for a budget.</summary>
        public bool Step { get; init; }
        public bool Dashed { get; init; }

        public ChartSeries(string name, IReadOnlyList<(double X, double Y)> points, string color)
        {
            Name = name; Points = points; Color = color;
        }
    }

    /// <summary>
    /// A small, dependency-free SVG line chart: title, axes with "nice" 1-2-5 ticks, grid, axis
    /// labels, one or more series with markers, a legend for several series, "no data" when empty.
    /// Output is plain SVG 1.1 that browsers, rsvg-convert and Inkscape render alike.
    /// </summary>
    public sealed class SvgChart
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

        private const int Left = 84, Right = 28, Bottom = 62;
        private int Top => Series.Count > 1 ? 82 : 62;

        public string Render()
        {
            var svg = new StringBuilder();
            svg.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(Width).Append("\" height=\"").Append(Height)
               .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
            svg.Append("  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
            svg.Append("  <text x=\"").Append(Width / 2).Append("\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">")
               .Append(Escape(Title)).Append("</text>\n");
            if (Subtitle.Length > 0)
                svg.Append("  <text x=\"").Append(Width / 2).Append("\" y=\"47\" text-anchor=\"middle\" font-size=\"12\" fill=\"#666\">")
                   .Append(Escape(Subtitle)).Append("</text>\n");

            int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
            var all = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (all.Count == 0)
            {
                svg.Append("  <rect x=\"").Append(Left).Append("\" y=\"").Append(Top).Append("\" width=\"").Append(plotW).Append("\" height=\"").Append(plotH)
                   .Append("\" fill=\"none\" stroke=\"#bbb\"/>\n");
                svg.Append("  <text x=\"").Append(Left + plotW / 2).Append("\" y=\"").Append(Top + plotH / 2).Append("\" text-anchor=\"middle\" font-size=\"16\" fill=\"#999\">no data in the log</text>\n");
                svg.Append("</svg>\n");
                return svg.ToString();
            }

            double xMin = all.Min(p => p.X), xMax = all.Max(p => p.X);
            double yMin = YMin ?? all.Min(p => p.Y), yMax = YMax ?? all.Max(p => p.Y);
            if (YMin == null && YFromZero && yMin > 0) yMin = 0;
            if (YMax == null && YFromZero && yMax < 0) yMax = 0;
            (xMin, xMax) = Widen(xMin, xMax);
            (yMin, yMax) = Widen(yMin, yMax);
            double[] xTicks = NiceTicks(xMin, xMax, Math.Max(3, plotW / 110));
            double[] yTicks = NiceTicks(yMin, yMax, Math.Max(3, plotH / 55));
            if (YMin == null) yMin = Math.Min(yMin, yTicks[0]);
            if (YMax == null) yMax = Math.Max(yMax, yTicks[^1]);
            xMin = Math.Min(xMin, xTicks[0]);
            xMax = Math.Max(xMax, xTicks[^1]);
            double X(double x) => Left + (x - xMin) / (xMax - xMin) * plotW;
            double Y(double y) => Top + plotH - (y - yMin) / (yMax - yMin) * plotH;

            // grid and ticks
            svg.Append("  <g font-size=\"12\" fill=\"#444\">\n");
            double yStep = yTicks.Length > 1 ? yTicks[1] - yTicks[0] : 1;
            foreach (double t in yTicks)
            {
                if (t < yMin - 1e-9 || t > yMax + 1e-9) continue;
                string y = F(Y(t));
                svg.Append("    <line x1=\"").Append(Left).Append("\" y1=\"").Append(y).Append("\" x2=\"").Append(Left + plotW).Append("\" y2=\"").Append(y)
                   .Append("\" stroke=\"#e6e6e6\"/>\n");
                svg.Append("    <line x1=\"").Append(Left - 5).Append("\" y1=\"").Append(y).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(y).Append("\" stroke=\"#444\"/>\n");
                svg.Append("    <text x=\"").Append(Left - 8).Append("\" y=\"").Append(F(Y(t) + 4)).Append("\" text-anchor=\"end\">").Append(Escape(TickLabel(t, yStep, yTicks.Max(Math.Abs)))).Append("</text>\n");
            }
            double xStep = xTicks.Length > 1 ? xTicks[1] - xTicks[0] : 1;
            foreach (double t in xTicks)
            {
                if (t < xMin - 1e-9 || t > xMax + 1e-9) continue;
                string x = F(X(t));
                svg.Append("    <line x1=\"").Append(x).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(x).Append("\" y2=\"").Append(Top + plotH)
                   .Append("\" stroke=\"#f0f0f0\"/>\n");
                svg.Append("    <line x1=\"").Append(x).Append("\" y1=\"").Append(Top + plotH).Append("\" x2=\"").Append(x).Append("\" y2=\"").Append(Top + plotH + 5).Append("\" stroke=\"#444\"/>\n");
                svg.Append("    <text x=\"").Append(x).Append("\" y=\"").Append(Top + plotH + 20).Append("\" text-anchor=\"middle\">").Append(Escape(TickLabel(t, xStep, xTicks.Max(Math.Abs)))).Append("</text>\n");
            }
            svg.Append("  </g>\n");
            // axes
            svg.Append("  <line x1=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(Top + plotH).Append("\" stroke=\"#444\" stroke-width=\"1.2\"/>\n");
            svg.Append("  <line x1=\"").Append(Left).Append("\" y1=\"").Append(Top + plotH).Append("\" x2=\"").Append(Left + plotW).Append("\" y2=\"").Append(Top + plotH).Append("\" stroke=\"#444\" stroke-width=\"1.2\"/>\n");
            svg.Append("  <text x=\"").Append(Left + plotW / 2).Append("\" y=\"").Append(Height - 16).Append("\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\">").Append(Escape(XLabel)).Append("</text>\n");
            svg.Append("  <text transform=\"translate(20,").Append(Top + plotH / 2).Append(") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222\">").Append(Escape(YLabel)).Append("</text>\n");

            // series, clipped to the plot area
            svg.Append("  <clipPath id=\"plot\"><rect x=\"").Append(Left).Append("\" y=\"").Append(Top - 4).Append("\" width=\"").Append(plotW + 4).Append("\" height=\"").Append(plotH + 8).Append("\"/></clipPath>\n");
            svg.Append("  <g clip-path=\"url(#plot)\">\n");
            foreach (ChartSeries series in Series)
            {
                var points = series.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
                if (points.Count == 0) continue;
                var path = new StringBuilder();
                for (int i = 0; i < points.Count; i++)
                {
                    if (i > 0 && series.Step) path.Append(F(X(points[i].X))).Append(',').Append(F(Y(points[i - 1].Y))).Append(' ');
                    path.Append(F(X(points[i].X))).Append(',').Append(F(Y(points[i].Y))).Append(' ');
                }
                svg.Append("    <polyline fill=\"none\" stroke=\"").Append(series.Color).Append("\" stroke-width=\"2\" stroke-linejoin=\"round\"")
                   .Append(series.Dashed ? " stroke-dasharray=\"6 4\"" : "").Append(" points=\"").Append(path.ToString().TrimEnd()).Append("\"/>\n");
                if (points.Count <= 80 && !series.Step)
                    foreach (var p in points)
                        svg.Append("    <circle cx=\"").Append(F(X(p.X))).Append("\" cy=\"").Append(F(Y(p.Y))).Append("\" r=\"2.8\" fill=\"").Append(series.Color).Append("\"/>\n");
            }
            svg.Append("  </g>\n");

            if (Series.Count > 1)
            {
                // A legend row between the subtitle and the plot, right-aligned, never over the data.
                int y = Top - 12;
                int width = Series.Sum(series => 32 + series.Name.Length * 7 + 18);
                int x = Left + plotW - width;
                svg.Append("  <g font-size=\"12\" fill=\"#222\">\n");
                foreach (ChartSeries series in Series)
                {
                    svg.Append("    <line x1=\"").Append(x).Append("\" y1=\"").Append(y - 4).Append("\" x2=\"").Append(x + 24).Append("\" y2=\"").Append(y - 4)
                       .Append("\" stroke=\"").Append(series.Color).Append("\" stroke-width=\"2\"").Append(series.Dashed ? " stroke-dasharray=\"6 4\"" : "").Append("/>\n");
                    svg.Append("    <text x=\"").Append(x + 30).Append("\" y=\"").Append(y).Append("\">").Append(Escape(series.Name)).Append("</text>\n");
                    x += 32 + series.Name.Length * 7 + 18;
                }
                svg.Append("  </g>\n");
            }
            svg.Append("</svg>\n");
            return svg.ToString();
        }

        private static (double, double) Widen(double min, double max)
        {
            if (max > min) return (min, max);
            double pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
            return (min - pad, max + pad);
        }

        /// <summary>Tick positions at a 1, 2 or 5 × 10^k step covering [min, max] with about `count` ticks.</summary>
        public static double[] NiceTicks(double min, double max, int count)
        {
            double span = max - min;
            double raw = span / Math.Max(1, count);
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double residual = raw / magnitude;
            double step = (residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10) * magnitude;
            double first = Math.Floor(min / step + 1e-9) * step;
            double last = Math.Ceiling(max / step - 1e-9) * step;
            var ticks = new List<double>();
            for (double t = first; t <= last + step * 1e-6; t += step) ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
            return ticks.ToArray();
        }

        /// <summary>Short labels: 1500 → 1.5k, 2000000 → 2M, 0.25 → 0.25.</summary>
        public static string TickLabel(double value, double step) => TickLabel(value, step, Math.Abs(value));

        /// <summary>As above, with the unit (k, M) chosen from the axis's largest tick so every label on an axis uses the same one.</summary>
        public static string TickLabel(double value, double step, double axisMax)
        {
            if (value == 0) return "0";
            double a = Math.Abs(axisMax);
            if (a >= 1e6 && step >= 1e5) return Trim(value / 1e6, step / 1e6) + "M";
            if (a >= 1e4 && step >= 1e3) return Trim(value / 1e3, step / 1e3) + "k";
            return Trim(value, step);
        }

        private static string Trim(double value, double step)
        {
            int decimals = step >= 1 ? 0 : Math.Min(6, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
            if (step < 1 && Math.Abs(step * Math.Pow(10, decimals) - Math.Round(step * Math.Pow(10, decimals))) > 1e-6) decimals++;
            return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
        }

        private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        public static string Escape(string text) => (text ?? "").Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
    }
}
