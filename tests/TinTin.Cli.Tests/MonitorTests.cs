using System;
using System.IO;
using System.Linq;
using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    public class MonitorTests
    {
        [SocatFact]
        public void Monitor_reads_a_board_through_a_pty_pair_sends_commands_and_logs_csv()
        {
            using var pty = new PtyPair();
            using var board = new FakeBoard(pty.BoardEnd);
            using var temp = new TempFolder();
            string log = temp.File("logs/run.csv");

            // status → hello + 2 stat, label 1 → ok + upd + 2 stat, bogus → err: 8 protocol lines.
            CliResult result = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--baud", "921600",
                "--send", "status", "--send", "label 1", "--send", "bogus", "--log", log, "--lines", "8", "--duration", "20");

            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Null(board.Failure);
            lock (board.Received) Assert.Equal(new[] { "status", "label 1", "bogus" }, board.Received);
            string[] lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("> status", lines);
            Assert.Contains(lines, l => l.StartsWith("# ets Jun"));
            Assert.Contains(lines, l => l.StartsWith("! ") && l.Contains("TT2"));
            Assert.Contains(lines, l => l.StartsWith("hello board=fake fw=0.1.0"));
            Assert.Contains(lines, l => l.StartsWith("upd t_ms=1000 n=5 label=1 loss_q16=45000 macs=2200"));
            Assert.Contains(lines, l => l.StartsWith("err code=bad_command"));
            Assert.Contains("8 protocol lines", result.Error);

            string[] csv = File.ReadAllLines(log);
            string[] header = csv[0].Split(',');
            Assert.Equal(MonitorLog.Columns, header);
            var rows = csv.Skip(1).Select(l => Csv.Read(new StringReader(l), log).Single().Fields).ToArray();
            int Col(string name) => Array.IndexOf(header, name);
            var stats = rows.Where(r => r[Col("kind")] == "stat").ToArray();
            Assert.Equal(4, stats.Length);
            Assert.Equal(new[] { "1", "2", "1", "2" }, stats.Select(r => r[Col("part")]));
            Assert.Equal("0", stats[0][Col("acc_pm")]);
            Assert.Equal("800", stats[2][Col("acc_pm")]);
            Assert.Equal("89112", stats[2][Col("heap")]);
            Assert.Equal("", stats[3][Col("heap")]);
            Assert.Equal("2200", stats[3][Col("macs_update")]);
            Assert.Equal("future_key=7", stats[2][Col("extra")]);
            var upd = rows.Single(r => r[Col("kind")] == "upd");
            Assert.Equal("2200", upd[Col("macs")]);
            Assert.Equal("95", upd[Col("uj")]);
            Assert.Equal("1", upd[Col("label")]);
            Assert.Equal(new[] { "status", "label 1", "bogus" }, rows.Where(r => r[Col("dir")] == "tx").Select(r => r[Col("raw")]));
            Assert.Contains(rows, r => r[Col("kind")] == "noise" && r[Col("raw")].Contains("POWERON_RESET),boot"));
            Assert.Contains(rows, r => r[Col("kind")] == "bad" && r[Col("raw")] == "TT2 stat samples=1");
            Assert.Contains(rows, r => r[Col("kind")] == "hello" && r[Col("raw")].StartsWith("TT1 hello"));
            // Every received line's raw text is kept.
            Assert.Equal(10, rows.Count(r => r[Col("dir")] == "rx"));
        }

        [SocatFact]
        public void Monitor_with_a_script_file_and_stdin_forwarding()
        {
            using var pty = new PtyPair();
            using var board = new FakeBoard(pty.BoardEnd);
            using var temp = new TempFolder();
            string script = temp.File("session.txt");
            File.WriteAllLines(script, new[] { "# a session", "status", "wait 100", "label 0" });
            CliResult result = CliRunner.Run(new StringReader("label 1\n"), default, "monitor", pty.HostEnd, "--plain", "--script", script,
                "--stdin", "--lines", "11", "--duration", "20");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            lock (board.Received)
            {
                Assert.Contains("status", board.Received);
                Assert.Contains("label 0", board.Received);
                Assert.Contains("label 1", board.Received);
            }
        }

        [SocatFact]
        public void Monitor_stops_after_the_duration_when_the_board_is_silent()
        {
            using var pty = new PtyPair();
            CliResult result = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--duration", "0.3");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("duration reached", result.Error);
            Assert.Contains("0 protocol lines", result.Error);
        }

        [SocatFact]
        public void Monitor_on_a_port_that_goes_away_is_a_device_error()
        {
            using var pty = new PtyPair();
            using var board = new FakeBoard(pty.BoardEnd);
            var unplug = new System.Threading.Timer(_ => pty.Unplug(), null, 1500, System.Threading.Timeout.Infinite);
            CliResult result = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--send", "status", "--duration", "30");
            // Wait for a callback still running (Unplug waits for socat to exit) before the pty is disposed under it:
            // a plain Dispose let it touch the disposed process and crashed the test host once under CI load.
            using (var callbacksDone = new System.Threading.ManualResetEvent(false))
            {
                if (unplug.Dispose(callbacksDone)) callbacksDone.WaitOne();
            }
            Assert.True(result.ExitCode == ExitCodes.DeviceError, result.ToString());
            Assert.Contains("went away", result.Error);
            Assert.Contains("hello board=fake", result.Out); // what came before the loss was shown
        }

        /// <summary>The board's `fleet event=stats` line (docs/PROTOCOL.md) goes through the host parser, the monitor's events and its log like the other fleet events.</summary>
        [Fact]
        public void Monitor_takes_the_fleet_statistics_line_as_a_fleet_event()
        {
            const string raw = "TT1 fleet t_ms=320000 event=stats bytes=80 seq=5 samples=320";
            ProtocolLine line = ProtocolParser.Parse(raw);
            Assert.Equal("fleet", line.Kind);
            Assert.Equal("stats", line.Get("event"));
            Assert.True(line.TryGetLong("bytes", out long bytes) && bytes == 80);
            Assert.True(line.TryGetLong("seq", out long seq) && seq == 5);
            Assert.True(line.TryGetLong("samples", out long samples) && samples == 320);

            var state = new MonitorState();
            state.Apply(ProtocolParser.Parse("TT1 fleet t_ms=300000 event=published bytes=90 base=0"));
            state.Apply(line);
            Assert.Equal(2, state.KindCounts["fleet"]);
            Assert.Equal("fleet t_ms=320000 event=stats bytes=80 seq=5 samples=320", state.Events[^1]);

            var text = new StringWriter();
            using (var log = new MonitorLog(text, false)) log.Received(10, line);
            string row = text.ToString().Split('\n')[1];
            Assert.StartsWith("10,rx,fleet,", row);
            Assert.EndsWith(raw, row.TrimEnd('\r'));
        }

        [Fact]
        public void Monitor_on_a_missing_port_is_a_device_error()
        {
            CliResult result = CliRunner.Run("monitor", "/dev/tintin-no-such-port", "--plain");
            Assert.Equal(ExitCodes.DeviceError, result.ExitCode);
            Assert.Contains("cannot open port /dev/tintin-no-such-port", result.Error);
        }

        [Fact]
        public void Monitor_on_a_file_that_is_not_a_serial_port_is_a_device_error()
        {
            using var temp = new TempFolder();
            string file = temp.File("plain.txt");
            File.WriteAllText(file, "hello");
            CliResult result = CliRunner.Run("monitor", file, "--plain");
            Assert.Equal(ExitCodes.DeviceError, result.ExitCode);
            Assert.Contains("is not a serial port", result.Error);
        }

        [Fact]
        public void Monitor_rejects_an_unsupported_baud_rate_as_usage()
        {
            CliResult result = CliRunner.Run("monitor", "/dev/null", "--baud", "12345");
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("baud rate 12345 is not supported", result.Error);
        }

        [Fact]
        public void Monitor_without_a_port_is_a_usage_error()
        {
            CliResult result = CliRunner.Run("monitor");
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
        }

        [Fact]
        public void Monitor_help_explains_the_command()
        {
            CliResult result = CliRunner.Run("monitor", "--help");
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Contains("--baud", result.Out);
            Assert.Contains("--log", result.Out);
            Assert.Contains("Exit codes", result.Out);
        }

        [SocatFact]
        public void Monitor_with_a_missing_script_is_an_input_error()
        {
            using var pty = new PtyPair();
            CliResult result = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--script", "/no/such/script.txt");
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("script not found", result.Error);
        }
    }
}
