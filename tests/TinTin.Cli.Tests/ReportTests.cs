using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class ReportTests
    {
        /// <summary>A session log as `monitor --log` writes it: protocol lines through the real parser and log writer.</summary>
        internal static void WriteSessionLog(string path, int updates)
        {
            using var log = MonitorLog.Create(path);
            long host = 0;
            void Rx(string line) => log.Received(host += 10, ProtocolParser.Parse(line));
            Rx("TT1 hello board=esp32-devkit fw=0.1.0 model=occ-v1 source=default classes=2 features=5 engine_bytes=6144 heap=70000");
            log.Other(host += 10, "rx", "noise", "boot, banner");
            log.Other(host += 10, "tx", "cmd", "status");
            int labelled = 0, correct = 0;
            for (int u = 1; u <= updates; u++)
            {
                long t = u * 60_000L;
                labelled += 10; correct += 5 + Math.Min(4, u / 2);
                Rx("TT1 upd t_ms=" + t + " n=10 label=" + (u % 2) + " loss_q16=" + (50000 - 1000 * u) + " macs=" + (2000 + 10 * u) + " us=9000 uj=" + (120 + u) + " bytes=1536");
                Rx("TT1 stat part=1 t_ms=" + t + " heap=" + (70000 - 50 * u) + " engine_bytes=6144 samples=" + (60 * u) + " labelled=" + labelled
                   + " correct=" + correct + " acc_pm=" + (1000 * correct / labelled) + " updates=" + u + " ckpts=" + (u / 3) + " faults=0 selected=12");
                Rx("TT1 stat part=2 t_ms=" + t + " predict_us=400 update_us=9000 macs_total=" + (100000 * u) + " macs_update=" + (2000 + 10 * u)
                   + " uj_update=" + (120 + u) + " uj_total=" + (125 * u) + " budget_bytes=4096 budget_macs=10000");
            }
            Rx("TT1 err code=bad_command msg=unknown_command");
        }

        [Fact]
        public void Report_writes_four_charts_and_summaries()
        {
            using var temp = new TempFolder();
            string log = temp.File("session.csv");
            WriteSessionLog(log, 12);
            string outDir = temp.File("charts");
            CliResult result = CliRunner.Run("report", log, "--out", outDir, "--title", "bench session");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());

            foreach (string name in new[] { "accuracy", "heap", "energy", "macs" })
            {
                string svg = File.ReadAllText(Path.Combine(outDir, name + ".svg"));
                XDocument doc = XDocument.Parse(svg); // well-formed
                XNamespace ns = "http://www.w3.org/2000/svg";
                Assert.Equal(ns + "svg", doc.Root.Name);
                Assert.Contains("bench session", svg);
                Assert.True(doc.Descendants(ns + "text").Count() > 8, name + " has axis labels and ticks");
                Assert.Contains(doc.Descendants(ns + "path"), p => (string)p.Attribute("stroke") != null
                    && ReportChart.Palette.Any(c => string.Equals(c, (string)p.Attribute("stroke"), StringComparison.OrdinalIgnoreCase)));
                AssertChartPng(Path.Combine(outDir, name + ".png"));
            }
            Assert.Contains("accuracy (%)", File.ReadAllText(Path.Combine(outDir, "accuracy.svg")));
            // heap chart: free heap and the engine's bytes, with a legend
            Assert.Contains(XDocument.Load(Path.Combine(outDir, "heap.svg")).Descendants("{http://www.w3.org/2000/svg}text"), e => e.Value.Trim() == "engine");

            string md = File.ReadAllText(Path.Combine(outDir, "summary.md"));
            Assert.Contains("| updates | 12 |", md);
            Assert.Contains("![Accuracy over time](accuracy.svg)", md);
            Assert.Contains("esp32-devkit / 0.1.0 / occ-v1", md);
            Assert.Contains("| energy per update: mean (min – max) | 126 µJ (121 – 132) |", md);
            string html = File.ReadAllText(Path.Combine(outDir, "summary.html"));
            Assert.Contains("<svg", html);
            Assert.Contains("free heap: last (min)", result.Out);
            Assert.Contains("69,400 B", result.Out);
        }

        /// <summary>A real picture: decodes as PNG at the chart's size, mostly white, with the series colour drawn in it.</summary>
        internal static void AssertChartPng(string path)
        {
            byte[] png = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.Take(4).ToArray());
            using SkiaSharp.SKBitmap bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.NotNull(bitmap);
            Assert.Equal((760, 420), (bitmap.Width, bitmap.Height));
            int white = 0, coloured = 0, dark = 0;
            var palette = ReportChart.Palette.Select(SkiaSharp.SKColor.Parse).ToArray();
            for (int y = 0; y < bitmap.Height; y += 1)
                for (int x = 0; x < bitmap.Width; x += 1)
                {
                    SkiaSharp.SKColor c = bitmap.GetPixel(x, y);
                    if (c.Red > 245 && c.Green > 245 && c.Blue > 245) white++;
                    else if (c.Red < 60 && c.Green < 60 && c.Blue < 60) dark++;
                    if (palette.Any(p => Math.Abs(p.Red - c.Red) + Math.Abs(p.Green - c.Green) + Math.Abs(p.Blue - c.Blue) < 24)) coloured++;
                }
            int total = bitmap.Width * bitmap.Height;
            Assert.True(white > total / 2, path + ": background is not white");
            Assert.True(dark > 500, path + ": no axis or text pixels (" + dark + ")");
            Assert.True(coloured > 200, path + ": no series drawn (" + coloured + " pixels in a series colour)");
        }

        [Fact]
        public void Report_on_a_missing_log_is_an_input_error()
        {
            CliResult result = CliRunner.Run("report", "/no/such/log.csv");
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("log not found: /no/such/log.csv", result.Error);
        }

        [Theory]
        [InlineData("", "the log is empty")]
        [InlineData("a,b,c\n1,2,3\n", "not a tintin board log")]
        [InlineData("host_ms,dir,kind,acc_pm,raw\n10,rx,stat,900,x\n20,rx,stat,ninety,x\n", ":3: 'ninety' in column 'acc_pm' is not an integer")]
        [InlineData("host_ms,dir,kind,acc_pm,raw\n10,rx,stat,900\n", ":2: 4 fields, the header names 5")]
        [InlineData("host_ms,dir,kind,acc_pm,raw\n10,rx,hello,,x\n", "nothing to plot")]
        [InlineData("host_ms,dir,kind,raw\n10,rx,stat,x\n", "names none of the stat/upd counters")]
        [InlineData("host_ms,dir,kind,acc_pm,raw\n10,rx,stat,900,\"never closed\n", "never closed")]
        public void Report_on_a_malformed_log_says_what_is_wrong(string content, string message)
        {
            using var temp = new TempFolder();
            string log = temp.File("bad.csv");
            File.WriteAllText(log, content);
            CliResult result = CliRunner.Run("report", log);
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains(message, result.Error);
            Assert.False(Directory.Exists(temp.File("bad-report")) && Directory.EnumerateFiles(temp.File("bad-report")).Any(), "nothing half-written");
        }

        [Fact]
        public void Report_without_a_log_argument_is_a_usage_error()
        {
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("report").ExitCode);
        }

        [Fact]
        public void Report_help_lists_the_charts()
        {
            CliResult result = CliRunner.Run("report", "--help");
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Contains("accuracy.svg", result.Out);
            Assert.Contains("PNG", result.Out);
        }
    }

    public class ReportChartTests
    {
        [Theory]
        [InlineData(1500, 2000, "1500")]
        [InlineData(15000, 20000, "15k")]
        [InlineData(2500, 20000, "2.5k")]
        [InlineData(2000000, 2500000, "2M")]
        [InlineData(2500000, 2500000, "2.5M")]
        [InlineData(0.25, 1, "0.25")]
        [InlineData(40, 100, "40")]
        [InlineData(1e-13, 100, "0")]
        public void Tick_labels_are_short_with_one_unit_per_axis(double value, double axisMax, string label)
        {
            Assert.Equal(label, ReportChart.TickLabel(value, axisMax));
        }

        [Fact]
        public void An_empty_chart_says_no_data_and_text_is_escaped()
        {
            var chart = new ReportChart { Title = "a < b & c" };
            chart.Series.Add(new ChartSeries("s", Array.Empty<(double, double)>(), "#000000"));
            XDocument svg = XDocument.Parse(chart.RenderSvg());
            var texts = svg.Descendants("{http://www.w3.org/2000/svg}text").Select(e => e.Value.Trim()).ToList();
            Assert.Contains("no data", texts);
            Assert.Contains("a < b & c", texts);
        }

        [Fact]
        public void A_single_point_or_a_flat_line_still_has_a_range()
        {
            Assert.Equal((4.5, 5.5), ReportChart.Widen(5, 5));
            Assert.Equal((-1.0, 1.0), ReportChart.Widen(0, 0));
            var chart = new ReportChart { Title = "flat", YFromZero = false };
            chart.Series.Add(new ChartSeries("s", new[] { (1.0, 5.0) }, "#000000"));
            string svg = chart.RenderSvg();
            XDocument.Parse(svg);
            Assert.DoesNotContain("NaN", svg);
            Assert.DoesNotContain("Infinity", svg);
            using var temp = new TempFolder();
            File.WriteAllBytes(temp.File("flat.png"), chart.RenderPng());
            Assert.True(new FileInfo(temp.File("flat.png")).Length > 1000);
        }
    }
}
