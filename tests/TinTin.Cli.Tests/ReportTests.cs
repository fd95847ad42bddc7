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
                var line = doc.Descendants(ns + "polyline").First();
                int points = line.Attribute("points").Value.Split(' ').Length;
                Assert.Equal(12, points);
                Assert.True(doc.Descendants(ns + "text").Count() > 8, name + " has axis labels and ticks");
            }
            Assert.Contains("accuracy (%)", File.ReadAllText(Path.Combine(outDir, "accuracy.svg")));
            // heap chart: free heap and the engine's bytes, with a legend
            Assert.Contains(">engine</text>", File.ReadAllText(Path.Combine(outDir, "heap.svg")));

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

        [Fact]
        public void Report_png_uses_rsvg_convert_when_present()
        {
            using var temp = new TempFolder();
            string log = temp.File("s.csv");
            WriteSessionLog(log, 3);
            CliResult result = CliRunner.Run("report", log, "--png");
            string outDir = temp.File("s-report");
            if (ReportCommand.FindOnPath("rsvg-convert") == null)
            {
                Assert.Equal(ExitCodes.NotAvailable, result.ExitCode);
                Assert.Contains("rsvg-convert", result.Error);
                Assert.True(File.Exists(Path.Combine(outDir, "accuracy.svg")));
            }
            else
            {
                Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
                byte[] png = File.ReadAllBytes(Path.Combine(outDir, "accuracy.png"));
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.Take(4).ToArray());
            }
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
            Assert.Contains("--png", result.Out);
        }
    }

    public class SvgChartTests
    {
        [Theory]
        [InlineData(0, 100, 5, new[] { 0.0, 20, 40, 60, 80, 100 })]
        [InlineData(3, 47, 4, new[] { 0.0, 20, 40, 60 })]
        [InlineData(0.1, 0.9, 4, new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
        public void Ticks_are_nice_round_numbers_covering_the_range(double min, double max, int count, double[] expected)
        {
            double[] ticks = SvgChart.NiceTicks(min, max, count);
            Assert.Equal(expected.Length, ticks.Length);
            for (int i = 0; i < ticks.Length; i++) Assert.Equal(expected[i], ticks[i], 9);
        }

        [Theory]
        [InlineData(1500, 500, "1500")]
        [InlineData(15000, 5000, "15k")]
        [InlineData(20000, 5000, "20k")]
        [InlineData(2000000, 500000, "2.0M")]
        [InlineData(2000000, 1000000, "2M")]
        [InlineData(0.25, 0.05, "0.25")]
        [InlineData(40, 10, "40")]
        public void Tick_labels_are_short(double value, double step, string label)
        {
            Assert.Equal(label, SvgChart.TickLabel(value, step));
        }

        [Fact]
        public void An_empty_chart_says_no_data_and_text_is_escaped()
        {
            var chart = new SvgChart { Title = "a < b & c" };
            chart.Series.Add(new ChartSeries("s", Array.Empty<(double, double)>(), "#000"));
            string svg = chart.Render();
            XDocument.Parse(svg);
            Assert.Contains("no data", svg);
            Assert.Contains("a &lt; b &amp; c", svg);
        }

        [Fact]
        public void A_single_point_or_a_flat_line_still_has_a_range()
        {
            var chart = new SvgChart { Title = "flat", YFromZero = false };
            chart.Series.Add(new ChartSeries("s", new[] { (1.0, 5.0) }, "#000"));
            string svg = chart.Render();
            XDocument.Parse(svg);
            Assert.DoesNotContain("NaN", svg);
            Assert.DoesNotContain("Infinity", svg);
        }
    }
}
