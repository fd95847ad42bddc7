using System.Collections.Generic;
using TinTin.Reference;
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
            options.LabelFraction = 0.1;
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
            Assert.Equal(6, summary.Length); // last-label, majority-so-far, none, full, sparse
            Assert.StartsWith("policy,", summary[0]);
            string timeCsv = Path.Combine(Path.GetDirectoryName(options.CsvPath), Path.GetFileNameWithoutExtension(options.CsvPath) + "-over-time.csv");
            Assert.Equal(1 + 5 * options.Chunks, File.ReadAllLines(timeCsv).Length);
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
                Assert.Equal(new[] { "last-label", "majority-so-far", "none", "full", "sparse@half-full", "sparse@400:0" }, r.Strategies.Select(s => s.Name).ToArray());
                Assert.True(r.Find("sparse@400:0").BytesPerUpdate <= 400);
                Assert.Equal(3, r.Find("none").ChunkAccuracy.Length);
            }
            finally { File.Delete(path); }
        }

        private static SensorDataset Stream(int rows, Func<int, int> label) => new SensorDataset(new[] { "x" },
            Enumerable.Range(0, rows).Select(i => new[] { i }).ToArray(), Enumerable.Range(0, rows).Select(label).ToArray(),
            Enumerable.Range(0, rows).Select(i => i * 60_000L).ToArray(), 2);

        [Theory]
        [InlineData(9752, 0.01)]
        [InlineData(9752, 0.05)]
        [InlineData(2000, 0.1)]
        [InlineData(200, 0.01)]
        public void TheLabelFractionIsTheFractionOfRowsLabelled(int rows, double fraction)
        {
            SensorDataset stream = Stream(rows, i => (i / 37) % 2);
            var o = new ExperimentOptions { LabelFraction = fraction };
            var events = PrequentialExperiment.UserLabels(stream, o);
            Assert.NotEmpty(events); // a short stream gets labels too
            var labelled = new bool[rows];
            foreach (var e in events)
            {
                Assert.True(e.To <= e.At - o.LabelDelay && e.To - e.From + 1 <= o.LabelSpan);
                for (int i = e.From; i <= e.To; i++) { Assert.False(labelled[i]); labelled[i] = true; Assert.Equal(stream.Labels[i], e.Label); }
            }
            double measured = (double)labelled.Count(b => b) / rows;
            Assert.InRange(measured, fraction * 0.85 - 1.0 / rows, Math.Max(fraction * 1.15, (double)o.LabelSpan / rows));
        }

        [Fact]
        public void TheBaselinesRepeatTheLatestPressAndTheCommonestLabelAndAreAlwaysPrinted()
        {
            string path = Path.Combine(Path.GetTempPath(), "tintin-sparse-base-" + Guid.NewGuid().ToString("N") + ".csv");
            using (var w = new StreamWriter(path))
            {
                w.WriteLine("x,state");
                var rng = new Random(4);
                for (int i = 0; i < 1600; i++) { int state = (i / 400) % 2; w.WriteLine($"{state + rng.NextDouble() * 3:F3},{state}"); }
            }
            try
            {
                ExperimentOptions o = ExperimentOptions.Parse(new[] { "--data", path, "--split", "800", "--time", "none", "--features", "x", "--label", "state",
                    "--hidden", "4", "--policies", "none", "--budgets", "bias-only", "--label-fraction", "0.1", "--epochs", "2" });
                var log = new StringWriter();
                ExperimentResult r = PrequentialExperiment.Run(o, log);
                StrategyResult last = r.Find("last-label"), majority = r.Find("majority-so-far");
                Assert.True(last.IsBaseline && majority.IsBaseline);
                // Runs of 400 rows and a press every ~100 rows: repeating the latest press is right most of the time;
                // the commonest label so far is the first run's class until well into the second run.
                Assert.InRange(last.Accuracy, 0.8, 1.0);
                Assert.InRange(majority.Accuracy, 0.4, 0.85);
                Assert.Equal(0.5, r.MajorityRate, 2);
                Assert.InRange(r.MeasuredLabelFraction, 0.085, 0.115);
                Assert.Contains("last-label", log.ToString());
                Assert.Contains("balanced", log.ToString());
                Assert.Contains("vs last-label", log.ToString());
            }
            finally { File.Delete(path); }
        }

        [Fact]
        public void LabelStateInputsAreTheLatestPressKnownBeforeTheRowAndItsAge()
        {
            SensorDataset stream = Stream(10, i => i < 5 ? 0 : 1);
            var events = new List<PrequentialExperiment.LabelEvent> { new(3, 1, 1, 0), new(7, 5, 5, 1) };
            SensorDataset d = PrequentialExperiment.WithLabelState(stream, events);
            Assert.Equal(new[] { "x", "LastLabelIs0", "LastLabelIs1", "LastLabelAgeMinutes" }, d.FeatureNames);
            Assert.Equal(new[] { 3, 0, 0, PrequentialExperiment.MaxLabelAgeMinutes }, d.Raw[3]); // the press at row 3 comes after row 3 is predicted
            Assert.Equal(new[] { 4, 1, 0, 1 }, d.Raw[4]);
            Assert.Equal(new[] { 8, 0, 1, 1 }, d.Raw[8]);
            Assert.Equal(new[] { 9, 0, 1, 2 }, d.Raw[9]);
        }

        [Fact]
        public void BadArgumentsAreRejectedClearly()
        {
            Assert.Contains("--split", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--data", "x.csv" })).Message);
            Assert.Contains("no data", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new string[0])).Message);
            Assert.Contains("unknown option", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--frobnicate" })).Message);
            Assert.Contains("budget", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--budgets", "lots" })).Message);
            Assert.Contains("profile", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--profile", "z80" })).Message);
            Assert.Contains("--scoring", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--scoring", "fresh" })).Message);
            Assert.Contains("--layer-score", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--layer-score", "params" })).Message);
            Assert.Contains("--drift-lambda", Assert.Throws<ArgumentException>(() => ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--drift-lambda", "0" })).Message);
        }

        [Fact]
        public void TheSelectionSettingsDefaultToTheLearnersAndTheFlagsChangeThem()
        {
            var defaults = new ContinualConfig();
            ExperimentOptions plain = ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b" });
            Assert.Equal(SelectionCriterionNames.Name(defaults.Criterion), plain.Reference);
            Assert.Equal(defaults.ScoreRecentOnly, plain.ScoreRecentOnly);
            Assert.Equal(defaults.DriftLambdaQ8, plain.DriftLambdaQ8);
            Assert.True(plain.NormaliseLayerScore && plain.ReselectOnDrift);
            ExperimentOptions old = ExperimentOptions.Parse(new[] { "--train", "a", "--stream", "b", "--scoring", "mixed", "--drift-lambda", "2048", "--layer-score", "potential", "--no-drift-reselect" });
            Assert.False(old.ScoreRecentOnly);
            Assert.Equal(2048, old.DriftLambdaQ8);
            Assert.False(old.NormaliseLayerScore);
            Assert.False(old.ReselectOnDrift);
        }
    }
}
