using System;
using System.IO;
using System.Linq;
using Mono.Unix.Native;
using TinTin.Cli;
using TinTin.Reference;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>
    /// Bad input to tintin: no internal error (exit 10), no hang, no unbounded memory. Non-regular
    /// files (a FIFO with no writer, a device) and oversized files are refused with exit 2 before
    /// they are opened; usage errors exit 1 and name the option; the monitor shows control
    /// characters instead of executing them and neutralises spreadsheet formulas in its CSV.
    /// </summary>
    public class HardeningTests
    {
        private static string Fifo(TempFolder temp)
        {
            string path = temp.File("fifo");
            Assert.Equal(0, Syscall.mkfifo(path, FilePermissions.DEFFILEMODE));
            return path;
        }

        /// <summary>A sparse file of 2 GiB: costs no disk, but reading it whole would.</summary>
        private static string Huge(TempFolder temp, string name)
        {
            string path = temp.File(name);
            using (var f = new FileStream(path, FileMode.Create)) f.SetLength(2L * 1024 * 1024 * 1024);
            return path;
        }

        private static void AssertInputError(CliResult result, string mentions)
        {
            Assert.True(result.ExitCode == ExitCodes.InputError, result.ToString());
            Assert.Contains(mentions, result.Error);
            Assert.DoesNotContain("internal error", result.Error);
        }

        [Theory]
        [InlineData("report")]
        [InlineData("bench")]
        [InlineData("prepare")]
        [InlineData("simulate")]
        [InlineData("monitor-script")]
        [InlineData("experiment")]
        public void A_FIFO_with_no_writer_is_refused_not_waited_for(string command)
        {
            using var temp = new TempFolder();
            string fifo = Fifo(temp);
            CliResult result = Run(command, fifo, temp);
            AssertInputError(result, "not a regular file (a FIFO)");
        }

        [Theory]
        [InlineData("report")]
        [InlineData("bench")]
        [InlineData("prepare")]
        [InlineData("simulate")]
        [InlineData("monitor-script")]
        public void A_2GB_file_is_refused_with_its_size(string command)
        {
            using var temp = new TempFolder();
            string huge = Huge(temp, "huge.bin");
            CliResult result = Run(command, huge, temp);
            AssertInputError(result, "is 2147483648 bytes; at most");
        }

        [Fact]
        public void A_device_is_refused_as_input()
        {
            using var temp = new TempFolder();
            AssertInputError(Run("report", "/dev/zero", temp), "not a regular file (a character device)");
            AssertInputError(Run("bench", "/dev/null", temp), "not a regular file (a character device)");
        }

        private static CliResult Run(string command, string path, TempFolder temp) => command switch
        {
            "report" => CliRunner.Run("report", path, "--out", temp.File("out")),
            "bench" => CliRunner.Run("bench", "--model", path, "--seconds", "0.1"),
            "prepare" => CliRunner.Run("prepare", "--csv", path, "--features", "Temperature", "--out", temp.File("m.ttm")),
            "simulate" => CliRunner.Run("simulate", "--data", path, "--max-samples", "5"),
            "monitor-script" => CliRunner.Run("monitor", "/dev/no-such-port", "--plain", "--script", path),
            "experiment" => CliRunner.Run("experiment", "--data", path, "--split", "0.5"),
            _ => throw new ArgumentException(command),
        };

        [Fact]
        public void Prepare_out_to_a_FIFO_is_refused_before_training()
        {
            using var temp = new TempFolder();
            string fifo = Fifo(temp);
            CliResult result = CliRunner.Run("prepare", "--csv", RepositoryPaths.Data("occupancy", "datatest.txt"), "--features", "Temperature", "--out", fifo);
            AssertInputError(result, "--out " + fifo + " is not a regular file (a FIFO)");
        }

        [Fact]
        public void Simulate_flash_given_a_regular_file_is_an_input_error()
        {
            using var temp = new TempFolder();
            string file = temp.File("flash.bin");
            File.WriteAllText(file, "not a folder");
            CliResult result = CliRunner.Run("simulate", "--flash", file, "--max-samples", "5");
            AssertInputError(result, "--flash " + file + " is a regular file, not a folder");
            Assert.Equal("not a folder", File.ReadAllText(file));
        }

        [Theory]
        [InlineData("9223372036854775807")]
        [InlineData("-9223372036854775808")]
        public void Report_on_a_log_with_int64_extremes_names_the_cell(string extreme)
        {
            using var temp = new TempFolder();
            string log = temp.File("log.csv");
            File.WriteAllLines(log, new[]
            {
                string.Join(",", MonitorLog.Columns),
                Row(0, "0"), Row(1, extreme), Row(2, "5"),
            });
            CliResult result = CliRunner.Run("report", log, "--out", temp.File("out"));
            AssertInputError(result, log + ":3: " + extreme + " in column 't_ms' is outside");

            string Row(long host, string t)
            {
                var row = new string[MonitorLog.Columns.Length];
                row[0] = host.ToString(); row[1] = "rx"; row[2] = "stat";
                row[3 + Array.IndexOf(MonitorLog.KeyColumns, "t_ms")] = t;
                row[3 + Array.IndexOf(MonitorLog.KeyColumns, "acc_pm")] = "500";
                return string.Join(",", row.Select(c => c ?? ""));
            }
        }

        [Theory]
        [InlineData("wait")]
        [InlineData("wait 99999999999")]
        [InlineData("wait -5")]
        [InlineData("WAIT 1 2")]
        [InlineData("status\nreset confirm")]
        [InlineData("label 1\r")]
        public void Monitor_send_with_a_bad_wait_or_two_lines_is_a_usage_error_naming_send(string value)
        {
            CliResult result = CliRunner.Run("monitor", "/dev/no-such-port", "--plain", "--send", value);
            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.Contains("--send", result.Error);
            Assert.DoesNotContain("internal error", result.Error);
        }

        [Theory]
        [InlineData("waitx")]
        [InlineData("wait 250")]
        [InlineData("Wait 0")]
        [InlineData("waiting 5")]
        public void Monitor_send_accepts_exact_waits_and_commands_that_merely_start_with_wait(string value)
        {
            // the items are fine, so the monitor goes on to open the port (which does not exist: exit 3)
            CliResult result = CliRunner.Run("monitor", "/dev/no-such-port", "--plain", "--send", value);
            Assert.True(result.ExitCode == ExitCodes.DeviceError, result.ToString());
        }

        [Fact]
        public void Script_items_are_parsed_exactly()
        {
            Assert.Equal(250, MonitorScript.Parse("wait 250", out _).Value.WaitMs);
            Assert.True(MonitorScript.Parse("wait 250", out _).Value.IsWait);
            Assert.Equal("waitx", MonitorScript.Parse("waitx", out _).Value.Command);
            Assert.Null(MonitorScript.Parse("wait " + (MonitorScript.MaxWaitMs + 1), out string error));
            Assert.Contains("0.." + MonitorScript.MaxWaitMs, error);
            Assert.Null(MonitorScript.Parse(new string('x', 201), out error));
            Assert.Contains("longer than 200", error);
        }

        [Fact]
        public void A_script_line_beginning_with_wait_is_checked_and_named()
        {
            using var temp = new TempFolder();
            string script = temp.File("s.txt");
            File.WriteAllLines(script, new[] { "status", "waitx", "wait 10", "wait soon" });
            CliResult result = CliRunner.Run("monitor", "/dev/no-such-port", "--plain", "--script", script);
            AssertInputError(result, script + ":4: 'wait soon' `wait` needs one whole number");
        }

        [Fact]
        public void Experiment_batch_0_is_a_usage_error_naming_the_option()
        {
            CliResult result = CliRunner.Run("experiment", "--batch", "0");
            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.Contains("--batch must be in 1..128", result.Error);
        }

        [Theory]
        [InlineData("\u001b]52;c;cm0gLXJmIH4K\u0007x", "\\x1B]52;c;cm0gLXJmIH4K\\x07x")]
        [InlineData("title \u001b]0;pwned\u0007", "title \\x1B]0;pwned\\x07")]
        [InlineData("c1 \u009b2J", "c1 \\x9B2J")]
        [InlineData("back\\slash", "back\\\\slash")]
        [InlineData("plain TT1 ok", "plain TT1 ok")]
        public void Control_characters_are_made_visible(string raw, string shown)
        {
            Assert.Equal(shown, TerminalText.Visible(raw));
        }

        [Theory]
        [InlineData("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")]
        [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
        [InlineData("-2+3+cmd", "'-2+3+cmd")]
        [InlineData("@SUM(A1)", "'@SUM(A1)")]
        [InlineData("-42", "-42")]
        [InlineData("+7", "+7")]
        [InlineData("-1.5", "-1.5")]
        [InlineData("TT1 ok", "TT1 ok")]
        public void Csv_cells_a_spreadsheet_would_run_are_neutralised_numbers_are_not(string cell, string written)
        {
            Assert.Equal(written, Csv.Field(cell));
        }

        [SocatFact]
        public void The_monitor_shows_escape_sequences_from_a_board_and_logs_no_formula()
        {
            using var pty = new PtyPair();
            using var board = new FakeBoard(pty.BoardEnd);
            using var temp = new TempFolder();
            string log = temp.File("run.csv");
            CliResult result = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--send", "evil", "--log", log, "--lines", "1", "--duration", "20");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.DoesNotContain('\u001b', result.Out);
            Assert.DoesNotContain('\u0007', result.Out);
            Assert.DoesNotContain('\u009b', result.Out);
            Assert.Contains("# \\x1B]52;c;cm0gLXJmIH4K\\x07clipboard", result.Out);
            Assert.Contains("\\x1B]0;pwned\\x07title \\x1B[31mred", result.Out);
            string csv = File.ReadAllText(log);
            Assert.DoesNotContain('\u001b', csv);
            Assert.DoesNotContain('\u0007', csv);
            var rows = Csv.Read(new StringReader(csv), log).Skip(1).Select(r => r.Fields).ToList();
            int raw = Array.IndexOf(MonitorLog.Columns, "raw");
            Assert.Contains(rows, r => r[raw] == "'=HYPERLINK(\"http://evil.example\",\"click\")");
            Assert.DoesNotContain(rows, r => r.Any(cell => cell.StartsWith("=")));
        }
    }
}
