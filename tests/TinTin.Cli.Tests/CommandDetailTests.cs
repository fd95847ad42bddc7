using System;
using System.IO;
using System.Linq;
using TinTin.Cli;
using TinTin.Core;
using TinTin.Reference;
using Xunit;

namespace TinTin.Cli.Tests
{
    // More happy paths and errors, beside CommandTests.cs.
    public class PrepareTests
    {
        [Fact]
        public void Prepare_on_an_mnist_subset_trains_exports_and_prints_the_memory_plan()
        {
            using var temp = new TempFolder();
            string model = temp.File("out/mnist.ttm");
            CliResult result = CliRunner.Run("prepare", "--mnist", RepositoryPaths.Find("data", "mnist"), "--train-limit", "600", "--test-limit", "200",
                "--hidden", "16", "--epochs", "1", "--out", model);
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            byte[] bytes = File.ReadAllBytes(model);
            Model loaded = ModelFile.Load(bytes, bytes.Length, 0, false);
            Assert.Equal(784, loaded.Network.InputLength);
            Assert.Equal(10, loaded.Network.ClassCount);
            Assert.Null(loaded.Normalizer);
            Assert.Contains("600 training, 200 test", result.Out);
            Assert.Contains("MLP 784-16-10", result.Out);
            // memory plan buffer by buffer, and the three board profiles with verdicts
            Assert.Contains("layer0.master(int16)", result.Out);
            Assert.Contains("gradient-arena(int32)", result.Out);
            Assert.Contains("25,088", result.Out); // 784·16 int16 master weights
            foreach (string board in new[] { "esp32 ", "esp32c3", "stm32f429" }) Assert.Contains(board, result.Out);
            Assert.Contains("fits, margin", result.Out);
        }

        [Fact]
        public void Prepare_on_a_sensor_csv_with_named_columns_and_a_split()
        {
            using var temp = new TempFolder();
            string model = temp.File("occ.ttm");
            CliResult result = CliRunner.Run("prepare", "--csv", RepositoryPaths.Data("occupancy", "datatest.txt"), "--features", "Temperature,Humidity,Light,CO2",
                "--label", "Occupancy", "--split", "0.7", "--epochs", "2", "--boards", "esp32c3", "--out", model);
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            byte[] bytes = File.ReadAllBytes(model);
            Model loaded = ModelFile.Load(bytes, bytes.Length, 0, false);
            Assert.Equal(4, loaded.Normalizer.FeatureCount);
            Assert.Equal(2, loaded.Network.ClassCount);
            Assert.Contains("time-ordered split at 0.7", result.Out);
            Assert.Contains("esp32c3", result.Out);
            Assert.DoesNotContain("stm32f429", result.Out);
        }

        [Fact]
        public void Prepare_with_board_features_writes_the_embedded_default_with_the_firmware_generator()
        {
            using var temp = new TempFolder();
            string model = temp.File("board.ttm");
            string cs = temp.File("DefaultModel.g.cs");
            CliResult result = CliRunner.Run("prepare", "--csv", RepositoryPaths.Data("occupancy", "datatest.txt"), "--board-features", "Temperature,Humidity,HumidityRatio",
                "--epochs", "1", "--name", "test-model", "--embed", cs, "--out", model);
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            string source = File.ReadAllText(cs);
            Assert.Contains("public static class DefaultModel", source);
            Assert.Contains("\"test-model\"", source);
            Assert.Contains("return new int[] { 0, 1, 5 };", source);
            byte[] bytes = File.ReadAllBytes(model);
            Assert.Equal(3, ModelFile.Load(bytes, bytes.Length, 0, false).Normalizer.FeatureCount);
            Assert.Contains("0x" + bytes[0].ToString("X2"), source);
        }

        [Fact]
        public void Simulate_with_a_model_file_runs_that_model_and_refuses_one_that_does_not_fit_the_features()
        {
            using var temp = new TempFolder();
            string same = temp.File("embedded.ttm");
            File.WriteAllBytes(same, TinTin.Firmware.DefaultModel.Bytes());
            CliResult embedded = CliRunner.Run("simulate", "--max-samples", "300");
            CliResult fromFile = CliRunner.Run("simulate", "--max-samples", "300", "--model", same);
            Assert.True(fromFile.ExitCode == ExitCodes.Ok, fromFile.ToString());
            string Figures(string text) => string.Join("\n", text.Split('\n').Where(l => l.Contains("accuracy") || l.Contains("memory:") || l.Contains("updates ")));
            Assert.Equal(Figures(embedded.Out), Figures(fromFile.Out));
            Assert.Contains("adapting firmware", fromFile.Out);

            string three = temp.File("three.ttm");
            File.WriteAllBytes(three, ModelFile.Save(new Model(Network.CreateMlp(new[] { 3, 4, 2 }, 1, -1, false), null)));
            CliResult wrong = CliRunner.Run("simulate", "--max-samples", "50", "--model", three);
            Assert.Equal(ExitCodes.InputError, wrong.ExitCode);
            Assert.Contains("takes 3 inputs", wrong.Error);
            string junk = temp.File("junk.ttm");
            File.WriteAllText(junk, "not a model");
            CliResult bad = CliRunner.Run("simulate", "--model", junk);
            Assert.Equal(ExitCodes.InputError, bad.ExitCode);
            Assert.Contains("junk.ttm: not a model file", bad.Error);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("simulate", "--model", same, "--prepare").ExitCode);
        }

        [Theory]
        [InlineData(new[] { "prepare" }, ExitCodes.Usage, "--mnist FOLDER or --csv FILE")]
        [InlineData(new[] { "prepare", "--mnist", "/no/such/folder" }, ExitCodes.InputError, "MNIST folder not found")]
        [InlineData(new[] { "prepare", "--csv", "/no/such.csv", "--features", "a" }, ExitCodes.InputError, "data file not found: /no/such.csv")]
        [InlineData(new[] { "prepare", "--csv", "x.csv" }, ExitCodes.Usage, "--features COLUMNS")]
        [InlineData(new[] { "prepare", "--mnist", "m", "--embed", "x.cs" }, ExitCodes.Usage, "--board-features")]
        [InlineData(new[] { "prepare", "--mnist", "m", "--lr", "fast" }, ExitCodes.Usage, "'fast' is not a ratio")]
        [InlineData(new[] { "prepare", "--mnist", "m", "--boards", "arduino" }, ExitCodes.Usage, "unknown board 'arduino'")]
        [InlineData(new[] { "prepare", "--mnist", "m", "--hidden", "x" }, ExitCodes.Usage, "is not a layer size")]
        [InlineData(new[] { "prepare", "--csv", "DATA", "--features", "Temperature,Nope" }, ExitCodes.InputError, "no column named 'Nope'")]
        [InlineData(new[] { "prepare", "--csv", "DATA", "--board-features", "Warmth" }, ExitCodes.Usage, "unknown feature 'Warmth'")]
        [InlineData(new[] { "prepare", "--csv", "DATA", "--board-features", "default", "--split", "0.5" }, ExitCodes.Usage, "--split does not apply with --board-features")]
        [InlineData(new[] { "prepare", "--csv", "DATA", "--board-features", "default", "--momentum", "9/10" }, ExitCodes.Usage, "--momentum does not apply with --board-features")]
        [InlineData(new[] { "prepare", "--csv", "DATA", "--board-features", "default", "--lr-halve-every", "2" }, ExitCodes.Usage, "--lr-halve-every does not apply")]
        public void Prepare_errors_are_clear(string[] args, int code, string message)
        {
            args = args.Select(a => a == "DATA" ? RepositoryPaths.Data("occupancy", "datatest.txt") : a).ToArray();
            CliResult result = CliRunner.Run(args);
            Assert.True(code == result.ExitCode, result.ToString());
            Assert.Contains(message, result.Error);
        }

        [Fact]
        public void Prepare_on_a_malformed_csv_names_the_line()
        {
            using var temp = new TempFolder();
            string csv = temp.File("bad.csv");
            File.WriteAllText(csv, "date,Temperature,Occupancy\n2015-02-04 17:51:00,23.1,1\n2015-02-04 17:52:00,warm,0\n");
            CliResult result = CliRunner.Run("prepare", "--csv", csv, "--features", "Temperature", "--out", temp.File("m.ttm"));
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains(":3: 'warm' in column 'Temperature' is not a number", result.Error);
            Assert.False(File.Exists(temp.File("m.ttm")));
        }
    }

    public class BenchTests
    {
        [Fact]
        public void Bench_prints_integer_beside_float_figures()
        {
            CliResult result = CliRunner.Run("bench", "--sizes", "6,16,2", "--seconds", "0.05");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("MLP 6-16-2", result.Out);
            foreach (string mode in new[] { "arena", "fused", "int8r", "int8" }) Assert.Contains("MLP 6-16-2, integer " + mode + ":", result.Out);
            Assert.Contains("float32 reference", result.Out);
            Assert.Contains("│            128 │", result.Out); // MACs per predict: 6·16 + 16·2
        }

        [Fact]
        public void Bench_json_has_one_row_per_engine_with_state_bytes_and_cpu_figures()
        {
            // Shape only (no timing asserts): a tiny run, two repeats after a short warm-up.
            CliResult result = CliRunner.Run("bench", "--sizes", "6,4,2", "--seconds", "0.02", "--repeats", "2", "--warmup", "0.01", "--json");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(result.Out);
            var root = json.RootElement;
            Assert.Equal("bench", root.GetProperty("command").GetString());
            Assert.Equal("host", root.GetProperty("on").GetString());
            Assert.Equal(2, root.GetProperty("repeats").GetInt32());
            var rows = root.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(new[] { "integer arena", "integer fused", "integer int8r", "integer int8", "float32 reference" }, rows.Select(r => r.GetProperty("engine").GetString()));
            // One row per training-state mode, each with that mode's own accounting; the lean modes hold less.
            for (int m = 0; m < TrainingStateModeNames.All.Length; m++)
                Assert.Equal(Network.CreateMlp(new[] { 6, 4, 2 }, 1, -1, false, TrainingStateModeNames.All[m]).TotalMemoryBytes(), rows[m].GetProperty("state_bytes").GetInt64());
            for (int m = 1; m < TrainingStateModeNames.All.Length; m++) // leanest last
                Assert.True(rows[m].GetProperty("state_bytes").GetInt64() < rows[m - 1].GetProperty("state_bytes").GetInt64());
            Assert.Equal(4 * (2 * (4 * 7 + 2 * 5) + 2 * (6 + 4 + 4 + 2)), rows[TrainingStateModeNames.All.Length].GetProperty("state_bytes").GetInt64()); // 4 B per weight, gradient, activation
            foreach (var row in rows)
            {
                Assert.Equal("MLP 6-4-2", row.GetProperty("network").GetString());
                Assert.Equal(6 * 4 + 4 * 2, row.GetProperty("macs_per_predict").GetInt64());
                foreach (string key in new[] { "predict_us_min", "predict_us_median", "train_sample_us_min", "train_sample_us_median", "predict_per_cpu_second", "train_samples_per_cpu_second" })
                    Assert.Equal(System.Text.Json.JsonValueKind.Number, row.GetProperty(key).ValueKind);
                Assert.True(row.GetProperty("predict_us_min").GetDouble() <= row.GetProperty("predict_us_median").GetDouble());
            }
            Assert.Contains("MLP 6-4-2", result.Error); // the table goes to standard error
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("bench", "--repeats", "0").ExitCode);
        }

        [Fact]
        public void Bench_a_model_file_and_reject_a_bad_one()
        {
            using var temp = new TempFolder();
            string model = temp.File("m.ttm");
            Network network = Network.CreateMlp(new[] { 3, 4, 2 }, 1, -1, false);
            File.WriteAllBytes(model, ModelFile.Save(new Model(network, null)));
            CliResult ok = CliRunner.Run("bench", "--model", model, "--seconds", "0.05", "--integer-only");
            Assert.True(ok.ExitCode == ExitCodes.Ok, ok.ToString());
            Assert.Contains("m.ttm (3-4-2)", ok.Out);
            Assert.Contains("float32 reference skipped", ok.Out);
            CliResult lean = CliRunner.Run("bench", "--model", model, "--seconds", "0.05", "--integer-only", "--mode", "int8");
            Assert.True(lean.ExitCode == ExitCodes.Ok, lean.ToString());
            Assert.Contains("m.ttm (3-4-2), integer int8:", lean.Out);
            Assert.DoesNotContain("integer arena", lean.Out);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("bench", "--mode", "float16").ExitCode);

            byte[] bytes = File.ReadAllBytes(model);
            bytes[20] ^= 0x5A;
            File.WriteAllBytes(model, bytes);
            CliResult bad = CliRunner.Run("bench", "--model", model);
            Assert.Equal(ExitCodes.InputError, bad.ExitCode);
            Assert.Contains("bad model file: model corrupted: CRC-32 mismatch", bad.Error);

            File.WriteAllText(model, "not a model at all");
            bad = CliRunner.Run("bench", "--model", model);
            Assert.Equal(ExitCodes.InputError, bad.ExitCode);
            Assert.Contains("not a TinTin model", bad.Error);

            Assert.Equal(ExitCodes.InputError, CliRunner.Run("bench", "--model", temp.File("missing.ttm")).ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("bench", "--sizes", "7").ExitCode);
        }
    }

    public class SimulateTests
    {
        [Fact]
        public void Simulate_prints_protocol_lines_with_serial_dash()
        {
            CliResult result = CliRunner.Run("simulate", "--max-samples", "50", "--serial", "-");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.StartsWith("TT1 hello board=esp32c3-devkit", result.Out); // the demo board: the ESP32-C3, whose budget binds first
            Assert.Contains("virtual board esp32c3-devkit", result.Error);
        }

        [Theory]
        [InlineData(new[] { "simulate", "--data", "/no/such.csv" }, ExitCodes.InputError, "data file not found")]
        [InlineData(new[] { "simulate", "--board", "toaster" }, ExitCodes.Usage, "unknown board 'toaster'")]
        [InlineData(new[] { "simulate", "--label-fraction", "2" }, ExitCodes.Usage, "--label-fraction")]
        [InlineData(new[] { "simulate", "--keep-flash", "--flash", "/no/such/flash" }, ExitCodes.InputError, "flash folder not found")]
        public void Simulate_errors_are_clear(string[] args, int code, string message)
        {
            CliResult result = CliRunner.Run(args);
            Assert.True(code == result.ExitCode, result.ToString());
            Assert.Contains(message, result.Error);
        }
    }

    public class ExperimentTests
    {
        [Fact]
        public void Experiment_errors_are_clear()
        {
            CliResult bad = CliRunner.Run("experiment", "--bogus");
            Assert.Equal(ExitCodes.Usage, bad.ExitCode);
            Assert.Contains("unknown option '--bogus'", bad.Error);
            CliResult missing = CliRunner.Run("experiment", "--train", "/no/a.csv", "--stream", "/no/b.csv");
            Assert.Equal(ExitCodes.InputError, missing.ExitCode);
            Assert.Contains("data file not found", missing.Error);
        }
    }

    public class RootTests
    {
        [Theory]
        [InlineData("prepare", "--board-features")]
        [InlineData("simulate", "--serial")]
        [InlineData("monitor", "--baud")]
        [InlineData("report", "accuracy.svg")]
        [InlineData("bench", "float32")]
        [InlineData("experiment", "--policies")]
        public void Every_command_has_help_with_exit_codes(string command, string mentions)
        {
            CliResult result = CliRunner.Run(command, "--help");
            Assert.Equal(ExitCodes.Ok, result.ExitCode);
            Assert.Contains(mentions, result.Out);
            Assert.Contains("Exit codes", result.Out);
        }

        [Fact]
        public void Unknown_commands_and_options_are_usage_errors()
        {
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("frobnicate").ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run("report", "x.csv", "--no-such-option").ExitCode);
            Assert.Equal(ExitCodes.Usage, CliRunner.Run().ExitCode);
        }
    }
}

namespace TinTin.Cli.Tests
{
    /// <summary>`simulate --on nanoclr` and `bench --on nanoclr` (skipped without a nanoFramework runtime, saying how to get one).</summary>
    public class NanoCommandTests
    {
        private static string[] Lines(string text) => text.Replace("\r", "").Split('\n', System.StringSplitOptions.RemoveEmptyEntries);
        private static string Mask(string line) => System.Text.RegularExpressions.Regex.Replace(line, "heap=-?[0-9]+", "heap=*");

        [TinTin.TestSupport.NanoRuntimeFact]
        public void Simulate_on_nanoclr_prints_the_hosts_summary_and_protocol_lines()
        {
            CliResult host = CliRunner.Run("simulate", "--max-samples", "300", "--serial", "-");
            CliResult nano = CliRunner.Run("simulate", "--on", "nanoclr", "--max-samples", "300", "--serial", "-");
            Assert.True(host.ExitCode == ExitCodes.Ok, host.ToString());
            Assert.True(nano.ExitCode == ExitCodes.Ok, nano.ToString());
            Assert.Equal(Lines(host.Out).Select(Mask), Lines(nano.Out).Select(Mask));
            // The summary: every line the same but free heap (memory line) and wall time (serial line).
            string[] hostSummary = Lines(host.Error).SkipWhile(l => !l.StartsWith("virtual board esp32c3-devkit:")).ToArray();
            string[] nanoSummary = Lines(nano.Error).SkipWhile(l => !l.StartsWith("virtual board esp32c3-devkit:")).ToArray();
            Assert.Equal(hostSummary.Length, nanoSummary.Length);
            Assert.Contains(nanoSummary, l => l.Contains("selection:"));
            Assert.Equal(hostSummary.Where(l => !l.Contains("free heap") && !l.Contains("wall time")),
                         nanoSummary.Where(l => !l.Contains("free heap") && !l.Contains("wall time")));
            Assert.Contains("free heap (nanoclr 64-bit, not measured)", nano.Error);
        }

        [TinTin.TestSupport.NanoRuntimeFact]
        public void Simulate_on_nanoclr32_with_a_heap_reports_the_measured_free_heap()
        {
            CliResult nano = CliRunner.Run("simulate", "--on", "nanoclr", "--heap", "113664", "--max-samples", "100");
            Assert.True(nano.ExitCode == ExitCodes.Ok, nano.ToString());
            Assert.Matches("free heap \\(nanoclr32 113664 B heap \\+ emulated flash, measured\\) [1-9][0-9]+ B", nano.Out);
        }

        [Theory]
        [InlineData(new[] { "simulate", "--heap", "55296" }, "--heap needs --on nanoclr")]
        [InlineData(new[] { "simulate", "--on", "nanoclr", "--speed", "5" }, "--speed is not available")]
        [InlineData(new[] { "simulate", "--on", "nanoclr", "--heap", "100" }, "--heap must be at least")]
        [InlineData(new[] { "simulate", "--on", "esp32" }, "--on must be host or nanoclr")]
        [InlineData(new[] { "bench", "--on", "nanoclr", "--samples", "5" }, "--samples must be")]
        [InlineData(new[] { "bench", "--on", "nanoclr", "--learner", "priced,sometimes" }, "--learner: 'sometimes'")]
        [InlineData(new[] { "bench", "--on", "nanoclr", "--engine-only", "--no-callgrind" }, "--engine-only measures instructions")]
        public void Nano_options_are_checked(string[] args, string message)
        {
            CliResult result = CliRunner.Run(args);
            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.Contains(message, result.Error);
        }

        [TinTin.TestSupport.NanoRuntimeFact]
        public void Bench_on_nanoclr_prints_its_figures_with_a_tiny_run()
        {
            CliResult run = CliRunner.Run("bench", "--on", "nanoclr", "--samples", "20", "--engine-steps", "10", "--wall-samples", "20", "--heap-samples", "30", "--json");
            Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
            // --json: the JSON object on standard output, the figures as text on standard error.
            using (var json = System.Text.Json.JsonDocument.Parse(run.Out))
            {
                Assert.Equal("nanoclr", json.RootElement.GetProperty("on").GetString());
                var row = json.RootElement.GetProperty("results")[0];
                Assert.Equal("integer (firmware on nanoCLR)", row.GetProperty("engine").GetString());
                Assert.True(row.GetProperty("state_bytes").GetInt32() > 0);
                Assert.Equal(1488, row.GetProperty("engine_macs_per_prediction").GetDouble()); // the embedded 6-48-24-2: 6·48 + 48·24 + 24·2
                Assert.True(row.GetProperty("engine_instructions_per_update").GetDouble() > 0);
                Assert.Equal(2, row.GetProperty("free_heap").GetArrayLength());
            }
            var r = new { Out = run.Error };
            Assert.Matches("the engine alone .*\\n +per prediction +[0-9,]+ +\\(1,488 MACs: [0-9,]+ per MAC", r.Out);
            Assert.Matches("per update +[0-9,]+ +\\([0-9,]+ MACs: [0-9,]+ per MAC", r.Out);
            Assert.Contains("the whole firmware loop", r.Out);
            Assert.Matches("wall time on this machine.*\\n +per prediction +-?[0-9]+ µs", r.Out);
            Assert.Matches("free heap, firmware's own figure on nanoclr32 with 113664 B: [1-9][0-9]+ B at start", r.Out);
            Assert.Matches("free heap, firmware's own figure on nanoclr32 with 55296 B: [1-9][0-9]+ B at start", r.Out);
            Assert.Matches("smallest nanoclr32 heap that completes 30 rows with the host's protocol lines: [1-9][0-9]+ B", r.Out);
        }
    }
}
