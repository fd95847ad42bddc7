using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TinTin.Cli;
using TinTin.Core;
using TinTin.Reference;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>Happy paths and errors of simulate, prepare, train, bench and experiment.</summary>
    public class CommandTests
    {
        private static string Occupancy(string file) => RepositoryPaths.Find("data", "occupancy", file);

        [Fact]
        public void Simulate_adapts_and_logs_what_report_reads()
        {
            using var temp = new TempFolder();
            string log = temp.File("sim.csv");
            CliResult result = CliRunner.Run("simulate", "--max-samples", "3000", "--log", log);
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("accuracy, frozen default model", result.Out);
            Assert.Contains("accuracy, adapting firmware", result.Out);
            Assert.Contains("(" + TrainingStateModeNames.Name(DeviceProfile.DefaultTrainingMode) + " mode)", result.Out);
            string[] rows = File.ReadAllLines(log);
            Assert.Equal(MonitorLog.Columns, rows[0].Split(','));
            Assert.Contains(rows, r => r.Contains(",hello,"));
            Assert.Contains(rows, r => r.Contains(",upd,"));
            CliResult report = CliRunner.Run("report", log, "--out", temp.File("charts"));
            Assert.True(report.ExitCode == ExitCodes.Ok, report.ToString());
            Assert.NotEmpty(Directory.GetFiles(temp.File("charts"), "*.svg"));
        }

        [Fact]
        public void Simulate_errors_name_what_is_wrong()
        {
            CliResult missing = CliRunner.Run("simulate", "--data", "/nonexistent/stream.csv");
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
            Assert.Contains("/nonexistent/stream.csv", missing.Error);
            CliResult board = CliRunner.Run("simulate", "--board", "arduino-uno");
            Assert.Equal(ExitCodes.Usage, board.ExitCode);
            Assert.Contains("arduino-uno", board.Error);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("simulate", "--label-fraction", "2").ExitCode);
            CliResult mode = CliRunner.Run("simulate", "--mode", "float16");
            Assert.Equal(ExitCodes.Usage, mode.ExitCode);
            Assert.Contains("'float16' is not a training-state mode", mode.Error);
            CliResult nano = CliRunner.Run("simulate", "--mode", "fused", "--on", "nanoclr");
            Assert.Equal(ExitCodes.Usage, nano.ExitCode);
            Assert.Contains("--mode is not available with --on nanoclr", nano.Error);
        }

        [SocatFact]
        public void Monitor_attaches_to_the_virtual_board_through_a_pty_pair()
        {
            using var pty = new PtyPair();
            Task<CliResult> board = Task.Run(() => CliRunner.Run("simulate", "--serial", pty.BoardEnd, "--speed", "200", "--max-samples", "1500"));
            CliResult monitor = CliRunner.Run("monitor", pty.HostEnd, "--plain", "--send", "status", "--lines", "12", "--duration", "30");
            Assert.True(monitor.ExitCode == ExitCodes.Ok, monitor.ToString());
            string[] lines = monitor.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(lines, l => l.StartsWith("hello board=esp32c3-devkit"));
            Assert.Contains(lines, l => l.StartsWith("upd ") || l.StartsWith("stat "));
            Assert.True(board.Wait(TimeSpan.FromSeconds(60)), "the virtual board did not finish");
            Assert.True(board.Result.ExitCode == ExitCodes.Ok, board.Result.ToString());
        }

        [Fact]
        public void Prepare_a_sensor_csv_writes_a_loadable_model_and_a_memory_plan()
        {
            using var temp = new TempFolder();
            string model = temp.File("occ.ttm");
            CliResult result = CliRunner.Run("prepare", "--csv", Occupancy("datatraining.txt"), "--features", "Temperature,Humidity",
                "--test-csv", Occupancy("datatest2.txt"), "--out", model);
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            byte[] bytes = File.ReadAllBytes(model);
            Model loaded = ModelFile.Load(bytes, bytes.Length, -1, false);
            Assert.Equal(2, loaded.Network.InputLength);
            Assert.NotNull(loaded.Normalizer);
            Assert.Contains("esp32", result.Out);
            Assert.Contains("fits", result.Out);
            // The full-training state in every training-state mode, from that mode's memory plan.
            Assert.Contains("training-state modes", result.Out);
            foreach (TrainingStateMode mode in TrainingStateModeNames.All)
            {
                Network network = ModelFile.Load(bytes, bytes.Length, -1, false, ModelFile.DefaultMaxBytes, mode).Network;
                network.SetAllTrainable(true);
                Assert.Matches("│ " + TrainingStateModeNames.Name(mode) + @"\s+│[^│]+│\s+" + network.DescribeMemory().TotalBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " │", result.Out);
            }
        }

        [Fact]
        public void Prepare_mnist_that_cannot_fit_a_board_exits_5_with_require_fit()
        {
            using var temp = new TempFolder();
            CliResult result = CliRunner.Run("prepare", "--mnist", RepositoryPaths.Find("data", "mnist"), "--train-limit", "500", "--test-limit", "200",
                "--hidden", "128", "--epochs", "1", "--out", temp.File("m.ttm"), "--require-fit");
            Assert.Equal(ExitCodes.DoesNotFit, result.ExitCode);
            Assert.Contains("does not fit", result.Out + result.Error);
        }

        [Fact]
        public void Prepare_errors_name_the_file_or_column()
        {
            CliResult missing = CliRunner.Run("prepare", "--csv", "/nonexistent/data.csv", "--features", "Temperature");
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
            Assert.Contains("/nonexistent/data.csv", missing.Error);
            CliResult column = CliRunner.Run("prepare", "--csv", Occupancy("datatraining.txt"), "--features", "Temperature,Radon");
            Assert.Equal(ExitCodes.InputError, column.ExitCode);
            Assert.Contains("Radon", column.Error);
        }

        [Fact]
        public void Train_prints_integer_beside_float()
        {
            CliResult result = CliRunner.Run("train", "occupancy", "--epochs", "1");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            // One row per training-state mode with its state bytes (2-16-16-2: DescribeMemory of each mode).
            Assert.Contains("integer arena", result.Out);
            Assert.Contains("2,798 B", result.Out);
            Assert.Contains("integer fused", result.Out);
            Assert.Contains("1,382 B", result.Out);
            Assert.Contains("integer int8r", result.Out);
            Assert.Contains("902 B", result.Out); // 742 + a 4-bit residue for each of the 320 weights
            Assert.Contains("integer int8", result.Out);
            Assert.Contains("742 B", result.Out);
            Assert.Contains("3,376 B", result.Out); // float32 reference
            Assert.Contains("float32 reference", result.Out);
            Assert.Contains("MACs/sample", result.Out);
        }

        [Fact]
        public void Train_errors_are_usage_or_input_errors()
        {
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", "cifar").ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("train", "--lr", "0.01").ExitCode);
            CliResult mode = CliRunner.Run("train", "occupancy", "--mode", "int4");
            Assert.Equal(ExitCodes.Usage, mode.ExitCode);
            Assert.Contains("arena, fused, int8", mode.Error);
            CliResult folder = CliRunner.Run("train", "occupancy", "--data", "/nonexistent/folder");
            Assert.Equal(ExitCodes.InputError, folder.ExitCode);
            Assert.Contains("/nonexistent/folder", folder.Error);
            CliResult column = CliRunner.Run("train", "occupancy", "--features", "Radon", "--epochs", "1");
            Assert.Equal(ExitCodes.InputError, column.ExitCode);
            Assert.Contains("Radon", column.Error);
        }

        [Fact]
        public void Bench_measures_a_model_file_and_rejects_a_bad_one()
        {
            using var temp = new TempFolder();
            CliResult ok = CliRunner.Run("bench", "--sizes", "6,16,2", "--seconds", "0.05");
            Assert.True(ok.ExitCode == ExitCodes.Ok, ok.ToString());
            Assert.Contains("float32 reference", ok.Out);
            string bad = temp.File("bad.ttm");
            File.WriteAllBytes(bad, new byte[] { (byte)'T', (byte)'T', (byte)'N', (byte)'M', 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
            CliResult rejected = CliRunner.Run("bench", "--model", bad);
            Assert.Equal(ExitCodes.InputError, rejected.ExitCode);
            Assert.Contains("version", rejected.Error);
        }

        [Fact]
        public void Experiment_runs_on_a_short_stream_and_reports_a_missing_file()
        {
            using var temp = new TempFolder();
            string csv = temp.File("exp.csv");
            CliResult ok = CliRunner.Run("experiment", "--max-rows", "1500", "--epochs", "2", "--policies", "none,full", "--budgets", "half-full", "--csv", csv);
            Assert.True(ok.ExitCode == ExitCodes.Ok, ok.ToString());
            Assert.True(File.Exists(csv));
            Assert.Contains("none", File.ReadAllText(csv));
            CliResult missing = CliRunner.Run("experiment", "--train", "/nonexistent/a.csv", "--stream", "/nonexistent/b.csv");
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
        }

        [Fact]
        public void Experiment_selection_study_writes_json_and_a_chart_of_accuracy_against_budget()
        {
            using var temp = new TempFolder();
            string json = temp.File("study.json"), chart = temp.File("budget");
            CliResult ok = CliRunner.Run("experiment", "--max-rows", "1200", "--epochs", "2", "--selections", "fisher,topdown", "--seeds", "2",
                "--fractions", "25,100", "--json", json, "--chart", chart);
            Assert.True(ok.ExitCode == ExitCodes.Ok, ok.ToString());
            Assert.Contains("25       vs topdown", ok.Out);
            Assert.Contains("\"Comparisons\"", File.ReadAllText(json));
            Assert.Contains("topdown", File.ReadAllText(chart + ".svg"));
            Assert.True(new FileInfo(chart + ".png").Length > 1000);
            CliResult badSelection = CliRunner.Run("experiment", "--selections", "fisher,oracle");
            Assert.Equal(ExitCodes.Usage, badSelection.ExitCode);
            Assert.Contains("oracle", badSelection.Error);
            CliResult chartWithoutStudy = CliRunner.Run("experiment", "--chart", chart);
            Assert.Equal(ExitCodes.Usage, chartWithoutStudy.ExitCode);
        }
    }
}
