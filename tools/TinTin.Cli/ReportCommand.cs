using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using Spectre.Console;

namespace TinTin.Cli
{
    /// <summary>`tintin report LOG.csv`: charts (SVG and PNG, drawn by ScottPlot) and a summary table of a board session.</summary>
    public static class ReportCommand
    {
        public static Command Create(CliContext context)
        {
            var log = new Argument<string>("log") { Description = "The CSV log written by `tintin monitor --log` or `tintin simulate --log`." };
            var output = new Option<string>("--out", "-o") { Description = "Folder for the charts and summaries (default: next to the log, <log>-report)." };
            var title = new Option<string>("--title") { Description = "Name of the session in chart titles (default: the log's file name)." };
            var command = new Command("report",
                "Turn a board's log into charts (SVG and PNG) and a summary table.\n" +
                "Turn a board's log into the pictures a person wants instead of numbers:\n" +
                "  accuracy.svg (prequential accuracy over board time), heap.svg (free heap and engine bytes),\n" +
                "  energy.svg (µJ per update), macs.svg (MACs per update),\n" +
                "each as SVG and as PNG (drawn by ScottPlot, no external program),\n" +
                "plus a summary table on the terminal, in summary.md and in summary.html (charts inline).\n" +
                "Example: tintin report run.csv --out run-report\n" +
                "Exit codes: 0 ok, 1 usage, 2 log missing/malformed/empty.");
            command.Arguments.Add(log);
            command.Options.Add(output);
            command.Options.Add(title);
            command.SetAction(parse => TinTinCli.Guard(context, () =>
                Run(context, parse.GetValue(log), parse.GetValue(output), parse.GetValue(title))));
            return command;
        }

        public static int Run(CliContext context, string logPath, string outDir, string title)
        {
            BoardLog log = BoardLog.Load(logPath);
            var stats = log.Received("stat").ToList();
            var updates = log.Received("upd").ToList();
            if (stats.Count == 0 && updates.Count == 0)
                throw CliException.Input(logPath + ": nothing to plot: the log has no stat or upd lines (" + log.Rows.Count + " other rows)");
            title ??= Path.GetFileNameWithoutExtension(logPath);
            outDir ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(logPath)) ?? ".", Path.GetFileNameWithoutExtension(logPath) + "-report");
            try { Directory.CreateDirectory(outDir); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { throw CliException.Input("cannot create " + outDir + ": " + e.Message); }

            // Board time, made monotonic across resets (t_ms starts again after a reset).
            var time = BoardTime(log);
            double span = time.Values.DefaultIfEmpty(0).Max() - time.Values.DefaultIfEmpty(0).Min();
            (double divisor, string unit) = span >= 2 * 3600_000 ? (3600_000.0, "h") : span >= 120_000 ? (60_000.0, "min") : (1000.0, "s");
            double T(LogRow r) => time[r] / divisor;
            string xTime = "board time (" + unit + ")";

            var charts = new List<(string File, string Caption, ReportChart Chart)>();
            var accuracy = new ReportChart { Title = "Accuracy over time — " + title, Subtitle = "prequential: each labelled sample is predicted before it is learned", XLabel = xTime, YLabel = "accuracy (%)", YMin = 0, YMax = 100 };
            accuracy.Series.Add(new ChartSeries("accuracy", stats.Where(r => r.Has("acc_pm")).Select(r => (T(r), r.Get("acc_pm") / 10.0)).ToList(), ReportChart.Palette[0]));
            charts.Add(("accuracy.svg", "Accuracy over time", accuracy));

            var heap = new ReportChart { Title = "Free heap — " + title, Subtitle = "managed heap left on the board, and the bytes the engine holds", XLabel = xTime, YLabel = "KiB" };
            heap.Series.Add(new ChartSeries("free heap", stats.Where(r => r.Has("heap") && r.Get("heap") >= 0).Select(r => (T(r), r.Get("heap") / 1024.0)).ToList(), ReportChart.Palette[0]));
            var engine = stats.Where(r => r.Has("engine_bytes")).Select(r => (T(r), r.Get("engine_bytes") / 1024.0)).ToList();
            if (engine.Count > 0) heap.Series.Add(new ChartSeries("engine", engine, ReportChart.Palette[1]));
            charts.Add(("heap.svg", "Free heap", heap));

            var updateRows = updates.Count > 0 ? updates : new List<LogRow>();
            var energy = new ReportChart { Title = "Energy per update — " + title, Subtitle = "µJ of each integer update (estimated from the board profile unless measured)", XLabel = "update #", YLabel = "energy (µJ)" };
            energy.Series.Add(new ChartSeries("µJ per update", Indexed(updateRows, "uj", stats, "uj_update"), ReportChart.Palette[2]));
            charts.Add(("energy.svg", "Energy per update", energy));

            var macs = new ReportChart { Title = "MACs per update — " + title, Subtitle = "multiply-accumulates of each update's backward pass and step", XLabel = "update #", YLabel = "MACs" };
            macs.Series.Add(new ChartSeries("MACs per update", Indexed(updateRows, "macs", stats, "macs_update"), ReportChart.Palette[3]));
            charts.Add(("macs.svg", "MACs per update", macs));

            // Each chart twice, drawn by ScottPlot: SVG for pages, PNG for anything that shows pictures.
            var written = new List<string>();
            var svgText = new Dictionary<string, string>();
            foreach (var (file, _, chart) in charts)
            {
                string path = Path.Combine(outDir, file);
                svgText[file] = chart.RenderSvg();
                File.WriteAllText(path, svgText[file]);
                string pngPath = Path.ChangeExtension(path, ".png");
                File.WriteAllBytes(pngPath, chart.RenderPng());
                written.Add(path);
                written.Add(pngPath);
            }

            List<(string Metric, string Value)> summary = Summarize(log, stats, updates, time);
            var table = new Table().Border(TableBorder.Rounded).Title("[bold]" + Markup.Escape(title) + "[/]");
            table.AddColumn("metric");
            table.AddColumn(new TableColumn("value").RightAligned());
            foreach (var (metric, value) in summary) table.AddRow(Markup.Escape(metric), Markup.Escape(value));
            context.Console.Write(table);

            string md = Path.Combine(outDir, "summary.md");
            var markdown = new StringBuilder();
            markdown.Append("# ").Append(title).Append("\n\nFrom `").Append(Path.GetFileName(logPath)).Append("` (").Append(log.Rows.Count).Append(" rows).\n\n");
            markdown.Append("| metric | value |\n| --- | ---: |\n");
            foreach (var (metric, value) in summary) markdown.Append("| ").Append(metric).Append(" | ").Append(value).Append(" |\n");
            markdown.Append('\n');
            foreach (var (file, caption, _) in charts) markdown.Append("![").Append(caption).Append("](").Append(file).Append(")\n\n");
            File.WriteAllText(md, markdown.ToString());
            written.Add(md);

            string html = Path.Combine(outDir, "summary.html");
            var page = new StringBuilder();
            page.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title)).Append("</title>\n");
            page.Append("<style>body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px}td:last-child{text-align:right}figure{margin:1.5em 0}</style></head><body>\n");
            page.Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<table><tr><th>metric</th><th>value</th></tr>\n");
            foreach (var (metric, value) in summary) page.Append("<tr><td>").Append(WebUtility.HtmlEncode(metric)).Append("</td><td>").Append(WebUtility.HtmlEncode(value)).Append("</td></tr>\n");
            page.Append("</table>\n");
            foreach (var (file, caption, _) in charts)
                page.Append("<figure>").Append(InlineSvg(svgText[file])).Append("<figcaption>").Append(WebUtility.HtmlEncode(caption)).Append("</figcaption></figure>\n");
            page.Append("</body></html>\n");
            File.WriteAllText(html, page.ToString());
            written.Add(html);

            context.Out.WriteLine("wrote " + string.Join(", ", written.Select(Path.GetFileName)) + " to " + outDir);
            return ExitCodes.Ok;
        }

        /// <summary>An SVG document without its XML declaration, to sit inside HTML.</summary>
        private static string InlineSvg(string svg)
        {
            int start = svg.IndexOf("<svg", StringComparison.Ordinal);
            return start > 0 ? svg.Substring(start) : svg;
        }

        /// <summary>Points (update number, value) from upd rows; from the stat rows' per-update counter when the log has no upd lines.</summary>
        private static List<(double, double)> Indexed(List<LogRow> updates, string key, List<LogRow> stats, string statKey)
        {
            var rows = updates.Where(r => r.Has(key)).ToList();
            if (rows.Count > 0) return rows.Select((r, i) => ((double)(i + 1), (double)r.Get(key))).ToList();
            // Without upd lines: one point per update counted in the stat lines.
            var points = new List<(double, double)>();
            long last = 0;
            foreach (LogRow r in stats)
            {
                if (r.Has("updates")) last = r.Get("updates");
                if (r.Has(statKey) && last > 0 && (points.Count == 0 || points[^1].Item1 != last)) points.Add((last, r.Get(statKey)));
            }
            return points;
        }

        private static Dictionary<LogRow, double> BoardTime(BoardLog log)
        {
            var time = new Dictionary<LogRow, double>();
            long offset = 0, previous = long.MinValue;
            bool useBoard = log.Rows.Any(r => r.Has("t_ms"));
            foreach (LogRow row in log.Rows)
            {
                if (useBoard)
                {
                    if (!row.Has("t_ms")) continue;
                    long t = row.Get("t_ms");
                    if (previous != long.MinValue && t < previous) offset += previous - t; // the board restarted its clock
                    previous = t;
                    time[row] = t + offset;
                }
                else time[row] = row.HostMs;
            }
            return time;
        }

        private static List<(string, string)> Summarize(BoardLog log, List<LogRow> stats, List<LogRow> updates, Dictionary<LogRow, double> time)
        {
            var s = new List<(string, string)>();
            string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
            long? Last(string key) => stats.LastOrDefault(r => r.Has(key))?.Get(key);
            var hello = log.Received("hello").LastOrDefault();
            if (hello != null && hello.Raw.Length > 0)
            {
                var parsed = ProtocolParser.Parse(hello.Raw);
                if (parsed != null) s.Add(("board / firmware / model", (parsed.Get("board") ?? "?") + " / " + (parsed.Get("fw") ?? "?") + " / " + (parsed.Get("model") ?? "?")));
            }
            if (time.Count > 0)
            {
                double ms = time.Values.Max() - time.Values.Min();
                s.Add(("session length", TimeSpan.FromMilliseconds(ms).ToString(ms >= 86_400_000 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture)));
            }
            s.Add(("lines (stat / upd / err / rejected / other)", stats.Count + " / " + updates.Count + " / " + log.Received("err").Count()
                + " / " + log.Rows.Count(r => r.Kind == "bad") + " / " + log.Rows.Count(r => r.Kind == "noise")));
            s.Add(("commands sent", log.Rows.Count(r => r.Dir == "tx").ToString(CultureInfo.InvariantCulture)));
            if (Last("samples") is long samples) s.Add(("samples", N(samples)));
            if (Last("labelled") is long labelled) s.Add(("labelled", N(labelled) + (Last("correct") is long correct ? " (" + N(correct) + " correct)" : "")));
            var acc = stats.Where(r => r.Has("acc_pm")).Select(r => r.Get("acc_pm")).ToList();
            if (acc.Count > 0) s.Add(("accuracy: final (min – max)", Pct(acc[^1]) + " (" + Pct(acc.Min()) + " – " + Pct(acc.Max()) + ")"));
            long updateCount = updates.Count > 0 ? updates.Count : Last("updates") ?? 0;
            s.Add(("updates", N(updateCount)));
            var uj = updates.Where(r => r.Has("uj")).Select(r => r.Get("uj")).ToList();
            if (uj.Count > 0) s.Add(("energy per update: mean (min – max)", N((long)Math.Round(uj.Average())) + " µJ (" + N(uj.Min()) + " – " + N(uj.Max()) + ")"));
            else if (Last("uj_update") is long lastUj) s.Add(("energy per update (last)", N(lastUj) + " µJ"));
            if (Last("uj_total") is long ujTotal) s.Add(("energy total", N(ujTotal) + " µJ"));
            var macs = updates.Where(r => r.Has("macs")).Select(r => r.Get("macs")).ToList();
            if (macs.Count > 0) s.Add(("MACs per update: mean (max)", N((long)Math.Round(macs.Average())) + " (" + N(macs.Max()) + ")"));
            else if (Last("macs_update") is long lastMacs) s.Add(("MACs per update (last)", N(lastMacs)));
            if (Last("macs_total") is long macsTotal) s.Add(("MACs total", N(macsTotal)));
            var heap = stats.Where(r => r.Has("heap") && r.Get("heap") >= 0).Select(r => r.Get("heap")).ToList();
            if (heap.Count > 0) s.Add(("free heap: last (min)", N(heap[^1]) + " B (" + N(heap.Min()) + " B)"));
            if (Last("engine_bytes") is long engine) s.Add(("engine bytes", N(engine) + " B"));
            var bytes = updates.Where(r => r.Has("bytes")).Select(r => r.Get("bytes")).ToList();
            if (bytes.Count > 0) s.Add(("backward bytes per update (max)", N(bytes.Max()) + " B"));
            if (Last("budget_bytes") is long budget) s.Add(("update budget", N(budget) + " B" + (Last("budget_macs") is long bm ? ", " + N(bm) + " MACs" : "")));
            if (Last("ckpts") is long ckpts) s.Add(("checkpoints", N(ckpts)));
            if (Last("faults") is long faults) s.Add(("sensor faults", N(faults)));
            return s;
        }

        private static string Pct(long perMille) => (perMille / 10.0).ToString("0.0", CultureInfo.InvariantCulture) + " %";
    }
}
