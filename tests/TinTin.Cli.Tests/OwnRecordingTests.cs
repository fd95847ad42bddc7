using TinTin.Core;
using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TinTin.Cli;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>Issue 13: `train --csv`, `simulate` on a recording that is not the occupancy set, and `--json` on train, simulate and experiment.</summary>
    public class OwnRecordingTests
    {
        /// <summary>
        /// A logger file unlike the occupancy set: Date and Time columns (dd-MM-yyyy), ", " separators,
        /// two interleaved nodes, 0/1/2 occupants, a text column, a gap; one row per node and minute.
        /// </summary>
        internal static string Logger(TempFolder temp, string name = "logger.csv", int minutes = 600, int seed = 3)
        {
            var random = new Random(seed);
            var text = new StringBuilder("Date, Time, node, temp_c, rh, occupants, note\n");
            for (int i = 0; i < minutes; i++)
                foreach (string node in new[] { "A", "B" })
                {
                    int occupants = (i / 30) % 3;
                    double t = 20 + (occupants > 0 ? 0.8 : 0) + (node == "B" ? 0.5 : 0) + (random.NextDouble() - 0.5) * 0.4;
                    double h = 35 + (occupants > 0 ? 3 : 0) + (random.NextDouble() - 0.5);
                    string cell = i % 97 == 5 ? "" : t.ToString("F2", CultureInfo.InvariantCulture);
                    text.Append($"{1 + i / 1440:00}-03-2024, {i / 60 % 24:00}:{i % 60:00}:00, {node}, {cell}, {h.ToString("F2", CultureInfo.InvariantCulture)}, {occupants}, note {i}\n");
                }
            string path = temp.File(name);
            File.WriteAllText(path, text.ToString());
            return path;
        }

        private static readonly string[] Reading = { "--time-column", "Date,Time", "--time-format", "dd-MM-yyyy HH:mm:ss", "--group", "node", "--missing", "previous",
            "--label", "occupants", "--label-map", "0=0,1=1,2=1" };

        private static string[] Args(params string[][] parts) => parts.SelectMany(p => p).ToArray();

        // ---- train --csv ----

        [Fact]
        public void Train_on_a_logger_csv_prints_integer_beside_float_with_metrics()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "train", "--csv", csv, "--features", "temp_c,rh", "--epochs", "2", "--split", "0.7" }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("logger.csv (temp_c,rh → occupants, 2 classes", result.Out);
            Assert.Contains("integer arena", result.Out);
            Assert.Contains("integer fused", result.Out);
            Assert.Contains("integer int8r", result.Out);
            Assert.Contains("integer int8", result.Out);
            Assert.Contains("float32 reference", result.Out);
            Assert.Contains("samples/CPU s", result.Out);
            Assert.Contains("balanced accuracy", result.Out);
            Assert.Contains("confusion", result.Out);
        }

        [Fact]
        public void Train_json_integer_only_reports_the_metrics_and_one_engine()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            string test = Logger(temp, "later.csv", 300, seed: 9);
            CliResult result = CliRunner.Run(Args(new[] { "train", "--csv", csv, "--test-csv", test, "--features", "temp_c,rh", "--epochs", "3", "--integer-only", "--json" }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using JsonDocument json = JsonDocument.Parse(result.Out);
            JsonElement root = json.RootElement;
            Assert.Equal("train", root.GetProperty("command").GetString());
            Assert.InRange(root.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
            Assert.InRange(root.GetProperty("balanced_accuracy").GetDouble(), 0.7, 1.0);
            Assert.Equal(2, root.GetProperty("per_class_recall").GetArrayLength());
            Assert.Equal(600, root.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt64())); // 300 minutes × 2 nodes
            JsonElement engines = root.GetProperty("engines");
            // One integer engine per training-state mode (the first is "integer"), no float32.
            Assert.Equal(TrainingStateModeNames.All.Length, engines.GetArrayLength());
            Assert.Equal("integer", engines[0].GetProperty("engine").GetString());
            Assert.Equal(new[] { "arena", "fused", "int8r", "int8" }, engines.EnumerateArray().Select(e => e.GetProperty("mode").GetString()).ToArray());
            Assert.True(engines[0].GetProperty("samples_per_cpu_second").GetDouble() > 0);
            Assert.DoesNotContain("float32", result.Error);
        }

        [Theory]
        [InlineData(new[] { "--features", "temp_c,rh", "--missing", "previous" }, ExitCodes.InputError, "is not a timestamp")]
        [InlineData(new[] { "--features", "temp_c,occupants", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous" }, ExitCodes.InputError, "cannot also be a feature")]
        [InlineData(new[] { "--features", "temp_c,rh", "--time-format", "dd-MM-yyyy HH:mm:ss" }, ExitCodes.InputError, "--missing")]
        [InlineData(new[] { "--features", "temp_c,lux", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous" }, ExitCodes.InputError, "lux")]
        [InlineData(new[] { "--features", "temp_c,rh", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous", "--split", "1.5" }, ExitCodes.Usage, "--split")]
        [InlineData(new[] { "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous" }, ExitCodes.Usage, "--features")]
        [InlineData(new[] { "--features", "temp_c,rh", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "sometimes" }, ExitCodes.Usage, "--missing")]
        public void Train_csv_errors_name_what_is_wrong(string[] extra, int code, string message)
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "train", "--csv", csv, "--time-column", "Date,Time", "--group", "node", "--label", "occupants", "--label-map", "0=0,1=1,2=1", "--epochs", "1" }, extra));
            Assert.True(result.ExitCode == code, result.ToString());
            Assert.Contains(message, result.Error);
        }

        [Fact]
        public void Train_refuses_a_built_in_set_and_a_csv_together_and_an_orphan_test_csv()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult both = CliRunner.Run("train", "mnist", "--csv", csv, "--features", "temp_c");
            Assert.Equal(ExitCodes.Usage, both.ExitCode);
            Assert.Contains("not both", both.Error);
            CliResult orphan = CliRunner.Run("train", "--test-csv", csv);
            Assert.Equal(ExitCodes.Usage, orphan.ExitCode);
            Assert.Contains("--test-csv needs --csv", orphan.Error);
        }

        // ---- experiment --json ----

        [Fact]
        public void Experiment_json_on_standard_output_lists_every_policy_and_baseline()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "experiment", "--data", csv, "--split", "0.5", "--features", "temp_c,rh", "--epochs", "2",
                "--label-fraction", "0.05", "--policies", "none,full", "--budgets", "half-full", "--json" }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using JsonDocument json = JsonDocument.Parse(result.Out);
            JsonElement root = json.RootElement;
            Assert.Equal("experiment", root.GetProperty("command").GetString());
            foreach (string field in new[] { "test_accuracy", "balanced_accuracy", "majority" }) Assert.InRange(root.GetProperty(field).GetDouble(), 0.0, 1.0);
            Assert.Equal(2, root.GetProperty("per_class_recall").GetArrayLength());
            Assert.Equal(600, root.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt64()));
            string[] policies = root.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("policy").GetString()).ToArray();
            Assert.Equal(new[] { "last-label", "majority-so-far", "none", "full", "sparse@half-full" }, policies);
            JsonElement full = root.GetProperty("policies").EnumerateArray().First(p => p.GetProperty("policy").GetString() == "full");
            Assert.True(full.GetProperty("bytes_per_update").GetInt32() > 0 && full.GetProperty("macs_per_update").GetInt64() > 0);
            Assert.Contains("policy", result.Error); // the table goes to standard error
            Assert.InRange(root.GetProperty("label_fraction").GetDouble(), 0.04, 0.06);
        }

        [Fact]
        public void Experiment_json_file_keeps_the_table_on_standard_output()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            string path = temp.File("out/run.json");
            CliResult result = CliRunner.Run(Args(new[] { "experiment", "--data", csv, "--split", "0.5", "--features", "temp_c,rh", "--epochs", "1",
                "--policies", "full", "--budgets", "full", "--json", path }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("sparse@full", result.Out);
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(4, json.RootElement.GetProperty("policies").GetArrayLength());
        }

        [Fact]
        public void Experiment_lags_give_each_feature_its_previous_rows_and_bad_lags_are_refused()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "experiment", "--data", csv, "--split", "0.5", "--features", "temp_c,rh", "--lags", "4", "--epochs", "1",
                "--policies", "full", "--budgets", "full" }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("temp_c,temp_c-1,temp_c-2,temp_c-3,rh,rh-1,rh-2,rh-3 → occupants, MLP 8-16-16-2", result.Out);
            CliResult bad = CliRunner.Run("experiment", "--lags", "0");
            Assert.Equal(ExitCodes.Usage, bad.ExitCode);
            Assert.Contains("--lags must be in 1..1024", bad.Error);
        }

        // ---- experiment --board-features ----

        private static readonly string[] BoardColumns = { "--board-features", "default", "--temperature", "temp_c", "--humidity", "rh" };

        [Fact]
        public void Experiment_board_features_are_the_rows_prepare_computes_per_node()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            TinTin.Experiments.ExperimentOptions options = TinTin.Experiments.ExperimentOptions.Parse(Args(
                new[] { "--data", csv, "--split", "0.5", "--epochs", "1", "--policies", "none", "--budgets", "full" }, BoardColumns, Reading));
            TinTin.Experiments.PrequentialExperiment.PreparedSeed seed = TinTin.Experiments.PrequentialExperiment.Prepare(options);

            // what `prepare --csv … --board-features default` trains on: PrepareCommand's columns, ModelPreparation.Features
            TinTin.Reference.CsvOptions reading = TinTin.Reference.CsvOptions.FromFlags("Date,Time", false, "dd-MM-yyyy HH:mm:ss", "node", "previous");
            var columns = new TinTin.Sensors.ReplayColumns
            {
                Time = "Date,Time", Temperature = "temp_c", Humidity = "rh", Label = "occupants",
                LabelMap = TinTin.Reference.LabelSpec.ParseMap("0=0,1=1,2=1"), Csv = reading,
            };
            int[] ids = TinTin.VirtualBoard.PrepareOptions.DefaultFeatureIds();
            (int[][] raw, int[] labels) = TinTin.VirtualBoard.ModelPreparation.Features(csv, columns, ids, 8);
            int[][] rows = seed.Train.Raw.Concat(seed.Stream.Raw).ToArray();
            Assert.Equal(raw.Length, rows.Length);
            for (int i = 0; i < raw.Length; i++) Assert.Equal(raw[i], rows[i]);
            Assert.Equal(labels, seed.Train.Labels.Concat(seed.Stream.Labels).ToArray());
            Assert.Equal(593, seed.Train.Count); // 1200 rows, the first 7 of each node fill the window: 1186 split at half
            Assert.Equal(new[] { "Temperature", "Humidity", "HumidityRatio", "TemperatureDelta", "HumidityDelta", "HumidityRatioTrend" }, seed.Train.FeatureNames);

            // per node: node A's rows are what its pipeline gives on A's rows alone, never mixed with B's
            var nodeA = new TinTin.Sensors.ReplayColumns
            {
                Time = columns.Time, Temperature = "temp_c", Humidity = "rh", Label = "occupants", LabelMap = columns.LabelMap, Csv = reading, Node = "A",
            };
            (int[][] aloneA, _) = TinTin.VirtualBoard.ModelPreparation.Features(csv, nodeA, ids, 8);
            int groupA = seed.Train.Groups[0];
            int[] all = seed.Train.Groups.Concat(seed.Stream.Groups).ToArray();
            int[][] inA = rows.Where((r, i) => all[i] == groupA).ToArray();
            Assert.Equal(aloneA.Length, inA.Length);
            for (int i = 0; i < inA.Length; i++) Assert.Equal(aloneA[i], inA[i]);
            Assert.Equal(2, all.Distinct().Count());

            CliResult result = CliRunner.Run(Args(new[] { "experiment", "--data", csv, "--split", "0.5", "--epochs", "1", "--label-fraction", "0.05",
                "--policies", "none,bias-only", "--budgets", "full", "--json" }, BoardColumns, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("Temperature,Humidity,HumidityRatio,TemperatureDelta,HumidityDelta,HumidityRatioTrend → occupants, MLP 6-16-16-2", result.Error);
            using JsonDocument json = JsonDocument.Parse(result.Out);
            Assert.Equal(new[] { "last-label", "majority-so-far", "none", "bias-only", "full", "sparse@full" },
                json.RootElement.GetProperty("policies").EnumerateArray().Select(p => p.GetProperty("policy").GetString()).ToArray());
            Assert.Equal(593, json.RootElement.GetProperty("stream_rows").GetInt32());
        }

        [Theory]
        [InlineData(new[] { "--board-features", "default", "--humidity", "rh" }, ExitCodes.InputError, "no column named 'Temperature'")]
        [InlineData(new[] { "--board-features", "default", "--temperature", "temp", "--humidity", "rh" }, ExitCodes.InputError, "no column named 'temp'")]
        [InlineData(new[] { "--board-features", "Warmth", "--temperature", "temp_c", "--humidity", "rh" }, ExitCodes.Usage, "--board-features: unknown feature 'Warmth'")]
        [InlineData(new[] { "--board-features", "default", "--features", "temp_c,rh" }, ExitCodes.Usage, "not both")]
        [InlineData(new[] { "--board-features", "default", "--temperature", "temp_c", "--humidity", "rh", "--window", "0" }, ExitCodes.Usage, "--window must be in 1..1024")]
        public void Experiment_board_feature_errors_name_what_is_wrong(string[] extra, int code, string message)
        {
            using var temp = new TempFolder();
            string csv = Logger(temp, minutes: 60);
            string output = temp.File("run.csv");
            CliResult result = CliRunner.Run(Args(new[] { "experiment", "--data", csv, "--split", "0.5", "--epochs", "1", "--csv", output }, extra, Reading));
            Assert.True(result.ExitCode == code, result.ToString());
            Assert.True(result.Error.Contains(message), result.ToString());
            Assert.False(File.Exists(output));
        }

        // ---- simulate on any recording ----

        private static readonly string[] Columns = { "--time-column", "Date,Time", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous",
            "--temperature", "temp_c", "--humidity", "rh", "--label", "occupants", "--label-map", "0=0,1=1,2=1" };

        [Fact]
        public void Simulate_replays_one_node_of_a_logger_file_through_the_firmware_pipeline_with_json()
        {
            using var temp = new TempFolder();
            string train = Logger(temp, "january.csv", 900, seed: 5);
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "simulate", "--csv", csv, "--group", "node", "--node", "B", "--train-csv", train, "--label-fraction", "0.05", "--json" }, Columns));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using JsonDocument json = JsonDocument.Parse(result.Out);
            JsonElement root = json.RootElement;
            Assert.Equal("simulate", root.GetProperty("command").GetString());
            Assert.Contains("january.csv", root.GetProperty("model").GetString()); // prepared on --train-csv, not the embedded model
            long rows = root.GetProperty("confusion").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt64());
            Assert.InRange(rows, 550, 600); // node B only: 600 rows less the pipeline's warm-up
            Assert.Equal(2, root.GetProperty("per_class_recall").GetArrayLength());
            Assert.InRange(root.GetProperty("test_accuracy").GetDouble(), 0.6, 1.0);
            string[] baselines = root.GetProperty("baselines").EnumerateArray().Select(b => b.GetProperty("name").GetString()).ToArray();
            Assert.Equal(new[] { "frozen", "last-label", "majority-so-far" }, baselines);
            Assert.Contains("virtual board", result.Error); // the human summary goes to standard error
        }

        [Fact]
        public void Simulate_needs_a_node_when_the_file_interleaves_several()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Args(new[] { "simulate", "--csv", csv, "--group", "node" }, Columns));
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("2 sensor nodes (A, B)", result.Error);
            Assert.Contains("--node", result.Error);
            CliResult unknown = CliRunner.Run(Args(new[] { "simulate", "--csv", csv, "--group", "node", "--node", "C" }, Columns));
            Assert.Equal(ExitCodes.InputError, unknown.ExitCode);
            Assert.Contains("node 'C' is not in group column 'node' (nodes: A, B)", unknown.Error);
        }

        [Theory]
        [InlineData(new[] { "--temperature", "air_temp" }, ExitCodes.InputError, "air_temp")]
        [InlineData(new[] { "--label", "people" }, ExitCodes.InputError, "people")]
        [InlineData(new[] { "--node", "A" }, ExitCodes.Usage, "--group")]
        [InlineData(new[] { "--label-map", "0=0,1" }, ExitCodes.Usage, "--label-map")]
        public void Simulate_column_errors_name_the_option_or_column(string[] extra, int code, string message)
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            // one node only (B's rows dropped) so no --group is needed
            string single = temp.File("single.csv");
            File.WriteAllLines(single, File.ReadAllLines(csv).Where(l => !l.Contains(", B, ")));
            string[] columns = Columns.ToArray();
            for (int i = 0; i + 1 < extra.Length; i += 2)
            {
                int at = Array.IndexOf(columns, extra[i]);
                if (at >= 0) columns[at + 1] = extra[i + 1];
                else columns = columns.Concat(new[] { extra[i], extra[i + 1] }).ToArray();
            }
            CliResult result = CliRunner.Run(Args(new[] { "simulate", "--csv", single }, columns));
            Assert.True(result.ExitCode == code, result.ToString());
            Assert.Contains(message, result.Error);
        }

        [Fact]
        public void Simulate_json_and_serial_on_stdout_are_refused_together()
        {
            CliResult result = CliRunner.Run("simulate", "--json", "--serial", "-", "--max-samples", "10");
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("--json and --serial -", result.Error);
        }
    }
}
