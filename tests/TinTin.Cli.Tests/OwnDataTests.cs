using System;
using System.IO;
using System.Text;
using System.Text.Json;
using TinTin.Cli;
using TinTin.Core;
using Xunit;

namespace TinTin.Cli.Tests
{
    /// <summary>Issue 13: `tintin prepare` on a logger file that is nothing like the occupancy set.</summary>
    public class OwnDataTests
    {
        /// <summary>Date and Time columns (dd-MM-yyyy), ", " separators, two interleaved nodes, gaps, 0/1/2 occupants, a text column.</summary>
        private static string Logger(TempFolder temp)
        {
            var random = new Random(3);
            var text = new StringBuilder("Date, Time, node, temp_c, rh, occupants, note\n");
            for (int i = 0; i < 600; i++)
                foreach (string node in new[] { "A", "B" })
                {
                    int occupants = (i / 30) % 3;
                    double t = 20 + (occupants > 0 ? 0.8 : 0) + (node == "B" ? 0.5 : 0) + (random.NextDouble() - 0.5) * 0.4;
                    double h = 35 + (occupants > 0 ? 3 : 0) + (random.NextDouble() - 0.5);
                    string cell = i % 97 == 5 ? "" : t.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
                    text.Append($"{1 + i / 1440:00}-03-2024, {i / 60 % 24:00}:{i % 60:00}:00, {node}, {cell}, {h.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}, {occupants}, note {i}\n");
                }
            string path = temp.File("logger.csv");
            File.WriteAllText(path, text.ToString());
            return path;
        }

        private static readonly string[] Reading = { "--time-column", "Date,Time", "--time-format", "dd-MM-yyyy HH:mm:ss", "--group", "node", "--missing", "previous", "--label", "occupants", "--label-map", "0=0,1=1,2=1" };

        [Fact]
        public void A_logger_file_trains_with_metrics_and_json()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Concat(new[] { "prepare", "--csv", csv, "--features", "temp_c,rh", "--epochs", "2", "--out", temp.File("m.ttm"), "--json" }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            using JsonDocument json = JsonDocument.Parse(result.Out);
            JsonElement root = json.RootElement;
            Assert.InRange(root.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
            Assert.InRange(root.GetProperty("balanced_accuracy").GetDouble(), 0.5, 1.0);
            Assert.Equal(2, root.GetProperty("per_class_recall").GetArrayLength());
            Assert.Equal(2, root.GetProperty("confusion").GetArrayLength());
            Assert.True(root.GetProperty("majority").GetDouble() > 0.5);
            Assert.Contains("balanced accuracy", result.Error); // the human report goes to standard error
            byte[] bytes = File.ReadAllBytes(temp.File("m.ttm"));
            Model model = ModelFile.Load(bytes, bytes.Length, 0, false);
            Assert.Equal(4, model.Normalizer.Features[0].Decimals); // 20.xx °C: ×10^4 keeps 0.0001 steps
        }

        [Fact]
        public void Board_features_take_any_temperature_and_humidity_columns_per_node()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run(Concat(new[] { "prepare", "--csv", csv, "--board-features", "default", "--temperature", "temp_c", "--humidity", "rh",
                "--test-csv", csv, "--out", temp.File("b.ttm") }, Reading));
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Contains("balanced accuracy", result.Out);
            Assert.Contains("confusion", result.Out);
        }

        [Theory]
        [InlineData(new[] { "--features", "temp_c,rh", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "zero" }, ExitCodes.Usage, "--missing")]
        [InlineData(new[] { "--features", "temp_c,rh", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous", "--classes", "-1" }, ExitCodes.Usage, "--classes")]
        [InlineData(new[] { "--features", "temp_c,occupants", "--time-format", "dd-MM-yyyy HH:mm:ss", "--missing", "previous" }, ExitCodes.InputError, "cannot also be a feature")]
        [InlineData(new[] { "--features", "temp_c,rh", "--missing", "previous" }, ExitCodes.InputError, "is not a timestamp")]
        public void Reading_errors_name_what_is_wrong(string[] extra, int code, string message)
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            string[] args = Concat(new[] { "prepare", "--csv", csv, "--out", temp.File("m.ttm"), "--time-column", "Date,Time", "--group", "node",
                "--label", "occupants", "--label-map", "0=0,1=1,2=1" }, extra);
            CliResult result = CliRunner.Run(args);
            Assert.True(result.ExitCode == code, result.ToString());
            Assert.Contains(message, result.Error);
            Assert.False(File.Exists(temp.File("m.ttm")));
        }

        [Fact]
        public void Without_the_missing_rule_a_gap_is_an_error_naming_the_line()
        {
            using var temp = new TempFolder();
            string csv = Logger(temp);
            CliResult result = CliRunner.Run("prepare", "--csv", csv, "--features", "temp_c,rh", "--time-column", "Date,Time", "--time-format", "dd-MM-yyyy HH:mm:ss",
                "--label", "occupants", "--label-map", "0=0,1=1,2=1", "--out", temp.File("m.ttm"));
            Assert.Equal(ExitCodes.InputError, result.ExitCode);
            Assert.Contains("column 'temp_c' has no value", result.Error);
            Assert.Contains("--missing", result.Error);
        }

        private static string[] Concat(string[] a, string[] b)
        {
            var all = new string[a.Length + b.Length];
            a.CopyTo(all, 0);
            b.CopyTo(all, a.Length);
            return all;
        }
    }
}
