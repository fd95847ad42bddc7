using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Experiments;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Sparse.Tests
{
    public class ExperimentTests
    {
        private readonly ITestOutputHelper output;
        public ExperimentTests(ITestOutputHelper output) { this.output = output; }

        private static string Occupancy()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", "occupancy");
                if (File.Exists(Path.Combine(candidate, "datatest2.txt"))) return candidate;
            }
            throw new FileNotFoundException("data/occupancy not found above the test binaries");
        }

        /// <summary>
        /// Real data: pre-train on datatraining (Temperature, Humidity), stream datatest2 (a later
        /// week: the room's climate has drifted) with ~8 % of the samples labelled late in spans.
        /// The sparse update at half the full update's bytes and MACs ends above no update.
        /// </summary>
        [Fact]
        public void OnTheOccupancyDriftStreamTheSparseUpdateEndsAboveNoUpdate()
        {
            ExperimentOptions options = ExperimentOptions.Occupancy(Occupancy());
            options.Policies = new[] { "none" };
            options.SparseBudgets = new[] { "half-full" };
            options.CsvPath = Path.Combine(Path.GetTempPath(), "tintin-sparse-test-" + Guid.NewGuid().ToString("N") + ".csv");
            var log = new StringWriter();
            ExperimentResult result = PrequentialExperiment.Run(options, log);
            output.WriteLine(log.ToString());
            StrategyResult none = result.Find("none"), full = result.Find("full"), sparse = result.Find("sparse@half-full");
            Assert.True(result.PretrainAccuracy > 0.85, $"pre-training reached only {result.PretrainAccuracy:P1}");
            Assert.Equal(9752, result.StreamRows);
            Assert.InRange(result.LabelledRows, 500, 1200);
            Assert.True(sparse.Accuracy > none.Accuracy + 0.02, $"sparse {sparse.Accuracy:P1} vs none {none.Accuracy:P1}");
            Assert.True(sparse.BytesPerUpdate <= full.BytesPerUpdate / 2);
            Assert.True(sparse.MaxMacsPerUpdate <= full.MaxMacsPerUpdate / 2);
            Assert.True(sparse.SelectedChannels < full.SelectedChannels);
            Assert.Equal(0, none.Updates);
            Assert.True(sparse.Updates > 100);
            string[] summary = File.ReadAllLines(options.CsvPath);
            Assert.Equal(4, summary.Length);
            Assert.StartsWith("policy,", summary[0]);
            string timeCsv = Path.Combine(Path.GetDirectoryName(options.CsvPath), Path.GetFileNameWithoutExtension(options.CsvPath) + "-over-time.csv");
            Assert.Equal(1 + 3 * options.Chunks, File.ReadAllLines(timeCsv).Length);
            File.Delete(options.CsvPath);
            File.Delete(timeCsv);
        }

        [Fact]
        public void AnyCsvOfTheSameShapeWorksWithASplitPoint()
        {
            string path = Path.Combine(Path.GetTempPath(), "tintin-sparse-any-" + Guid.NewGuid().ToString("N") + ".csv");
            var rng = new Random(2);
            using (var w = new StreamWriter(path))
            {
                w.WriteLine("pressure,light,state");
                for (int i = 0; i < 1200; i++)
                {
                    int state = (i / 50) % 3;
                    double shift = i < 600 ? 0 : 1.5; // drift in the second half
                    w.WriteLine($"{1000 + state * 3 + shift + rng.NextDouble():F2},{state * 10 + rng.NextDouble() * 4:F2},{state}");
                }
            }
            try
            {
                ExperimentOptions o = ExperimentOptions.Parse(new[] { "--data", path, "--split", "0.5", "--time", "none",
                    "--features", "pressure,light", "--label", "state", "--hidden", "8", "--policies", "none,full", "--budgets", "half-full,400:0", "--chunks", "3" });
                ExperimentResult r = PrequentialExperiment.Run(o, TextWriter.Null);
                Assert.Equal(600, r.StreamRows);
                Assert.Equal(new[] { "none", "full", "sparse@half-full", "sparse@400:0" }, r.Strategies.Select(s => s.Name).ToArray());
                Assert.True(r.Find("sparse@400:0").BytesPerUpdate <= 400);
                Assert.Equal(3, r.Find("none").ChunkAccuracy.Length);
            }
            finally { File.Delete(path); }
        }

        [Fact]
        public void BadArgumentsAreRejectedClearly()
        {
            Assert.Contains("--split", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--data", "x.csv" })).Message);
            Assert.Contains("no data", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new string[0])).Message);
            Assert.Contains("unknown option", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--frobnicate" })).Message);
            Assert.Contains("budget", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--budgets", "lots" })).Message);
            Assert.Contains("profile", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--profile", "z80" })).Message);
        }
    }
}
