using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Reference;
using Xunit;

namespace TinTin.Core.Tests
{
    /// <summary>Issue 13: a user's own logger files — small CSVs written here, each with an awkward case.</summary>
    public sealed class CsvReadingTests : IDisposable
    {
        private readonly string folder = Path.Combine(Path.GetTempPath(), "tintin-csv-" + Guid.NewGuid().ToString("N")[..8]);

        public CsvReadingTests() => Directory.CreateDirectory(folder);
        public void Dispose() { try { Directory.Delete(folder, true); } catch (IOException) { } }

        private string Write(string text)
        {
            string path = Path.Combine(folder, Guid.NewGuid().ToString("N")[..6] + ".csv");
            File.WriteAllText(path, text);
            return path;
        }

        [Fact]
        public void HeaderAndCellsAreTrimmedAndUnusedTextColumnsAreIgnored()
        {
            string path = Write("date, Temperature, Note, Occupancy\n2024-01-01 00:00:00, 21.5, hello world, 1\n2024-01-01 00:01:00, 21.25, 22-12-2017, 0\n");
            SensorTable t = SensorTable.Load(path, "date");
            Assert.Equal(new[] { "date", "Temperature", "Note", "Occupancy" }, t.Columns);
            Assert.Equal(new[] { 21.5, 21.25 }, t.Column("Temperature"));
            Assert.Equal(60_000, t.TimestampsMs[1] - t.TimestampsMs[0]);
            var e = Assert.Throws<InvalidDataException>(() => t.Column("Note"));
            Assert.Contains(":2: 'hello world' in column 'Note' is not a number", e.Message);
        }

        [Fact]
        public void NoHeaderNamesColumnsC1ToCn()
        {
            string path = Write("1.5,2,0\n2.5,3,1\n");
            SensorTable t = SensorTable.Load(path, new CsvOptions { HasHeader = false, TimeColumns = null });
            Assert.Equal(new[] { "c1", "c2", "c3" }, t.Columns);
            Assert.Equal(2, t.RowCount);
            Assert.Equal(new[] { 1.5, 2.5 }, t.Column("c1"));
            Assert.Equal(1, t.Lines[0]);
        }

        [Fact]
        public void DateAndTimeColumnsJoinWithAFormat()
        {
            string path = Write("Date;Time;T;L\n22-12-2017;23:59:30;20.1;0\n23-12-2017;00:00:30;20.2;1\n");
            SensorTable t = SensorTable.Load(path, new CsvOptions { TimeColumns = new[] { "Date", "Time" }, TimeFormat = "dd-MM-yyyy HH:mm:ss" });
            Assert.Equal(60_000, t.TimestampsMs[1] - t.TimestampsMs[0]);
            Assert.Equal(new DateTimeOffset(2017, 12, 22, 23, 59, 30, TimeSpan.Zero).ToUnixTimeMilliseconds(), t.TimestampsMs[0]);
            var e = Assert.Throws<InvalidDataException>(() => SensorTable.Load(path, new CsvOptions { TimeColumns = new[] { "Date", "Time" } }));
            Assert.Contains("'22-12-2017 23:59:30'", e.Message);
            Assert.Contains("--time-format", e.Message);
        }

        [Theory]
        [InlineData("epoch-ms", "1700000000000", "1700000060000", 60_000)]
        [InlineData("epoch-s", "1700000000", "1700000001.5", 1_500)]
        [InlineData("iso", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.250Z", 250)]
        public void EpochAndIsoTimes(string format, string a, string b, long delta)
        {
            string path = Write($"ts,x,y\n{a},1,0\n{b},2,1\n");
            SensorTable t = SensorTable.Load(path, new CsvOptions { TimeColumns = new[] { "ts" }, TimeFormat = format });
            Assert.Equal(delta, t.TimestampsMs[1] - t.TimestampsMs[0]);
        }

        [Fact]
        public void AnExtraFieldIsAnErrorButTheOccupancyRowIdFormIsRead()
        {
            string shifted = Write("a,b,label\n1,2,0\n1,2,3,1\n");
            var e = Assert.Throws<InvalidDataException>(() => SensorTable.Load(shifted, new CsvOptions { TimeColumns = null }));
            Assert.Contains(":3: 4 fields", e.Message);
            string rowIds = Write("\"date\",\"a\",\"label\"\n\"1\",\"2024-01-01 00:00:00\",5,0\n\"2\",\"2024-01-01 00:01:00\",6,1\n");
            SensorTable t = SensorTable.Load(rowIds, "date");
            Assert.Equal(new[] { 5.0, 6.0 }, t.Column("a"));
            string rowIdsThenShort = Write("date,a,label\n1,2024-01-01 00:00:00,5,0\n2024-01-01 00:01:00,6,1\n");
            Assert.Contains(":3: 3 fields", Assert.Throws<InvalidDataException>(() => SensorTable.Load(rowIdsThenShort, "date")).Message);
        }

        [Fact]
        public void MissingCellsErrorSkipOrRepeatTheNodesPreviousValue()
        {
            string text = "node,t,label\nA,1,0\nB,10,1\nA,,0\nB,NA,1\nA,3,0\n";
            string path = Write(text);
            var error = Assert.Throws<InvalidDataException>(() => SensorTable.Load(path, new CsvOptions { TimeColumns = null }).Using("t").Column("t"));
            Assert.Contains(":4: column 't' has no value", error.Message);
            SensorTable skipped = SensorTable.Load(path, new CsvOptions { TimeColumns = null, Missing = "skip" }).Using("t", "label");
            Assert.Equal(new[] { 1.0, 10, 3 }, skipped.Column("t"));
            SensorTable previous = SensorTable.Load(path, new CsvOptions { TimeColumns = null, Missing = "previous", Group = "node" }).Using("t");
            Assert.Equal(new[] { 1.0, 10, 1, 10, 3 }, previous.Column("t"));
            Assert.Equal(new[] { 0, 1, 0, 1, 0 }, previous.GroupIds);
            Assert.Equal(new[] { "A", "B" }, previous.GroupNames);
            Assert.Throws<ArgumentException>(() => new CsvOptions { Missing = "zero" }.Validate());
        }

        [Fact]
        public void LabelMapClassesAndTheLabelColumnAsFeature()
        {
            string path = Write("x,occupants\n1,0\n2,1\n3,2\n4,0\n");
            SensorTable t = SensorTable.Load(path, "none");
            var mapped = SensorDataset.FromTable(t, new[] { "x" }, new LabelSpec { Column = "occupants", Map = LabelSpec.ParseMap("0=0,1=1,2=1") });
            Assert.Equal(new[] { 0, 1, 1, 0 }, mapped.Labels);
            Assert.Equal(2, mapped.ClassCount);
            var asFeature = Assert.Throws<ArgumentException>(() => SensorDataset.FromTable(t, new[] { "x", "occupants" }, "occupants"));
            Assert.Contains("cannot also be a feature", asFeature.Message);
            var unmapped = Assert.Throws<ArgumentException>(() => SensorDataset.FromTable(t, new[] { "x" }, new LabelSpec { Column = "occupants", Map = LabelSpec.ParseMap("0=0,1=1") }));
            Assert.Contains(":4: label '2'", unmapped.Message);
            Assert.Throws<ArgumentException>(() => LabelSpec.ParseMap("0=zero"));

            string text = Write("x,state\n1,empty\n2,busy\n");
            var named = SensorDataset.FromTable(SensorTable.Load(text, "none"), new[] { "x" }, new LabelSpec { Column = "state", Map = LabelSpec.ParseMap("empty=0, busy=1") });
            Assert.Equal(new[] { 0, 1 }, named.Labels);
        }

        [Fact]
        public void LabelsOneToSixAndThousandsOfLabelsAreErrorsUnlessClassesSaysSo()
        {
            string oneToSix = Write("x,activity\n" + string.Join("\n", Enumerable.Range(0, 12).Select(i => i + "," + (i % 6 + 1))) + "\n");
            SensorTable t = SensorTable.Load(oneToSix, "none");
            var e = Assert.Throws<ArgumentException>(() => SensorDataset.FromTable(t, new[] { "x" }, "activity"));
            Assert.Contains("class 0 never occurs", e.Message);
            Assert.Contains("--label-map 1=0,2=1", e.Message.Replace("(e.g. ", "--label-map "));
            Assert.Equal(7, SensorDataset.FromTable(t, new[] { "x" }, "activity", 7).ClassCount);

            string many = Write("x,id\n" + string.Join("\n", Enumerable.Range(0, 3001).Select(i => i + "," + i)) + "\n");
            var tooMany = Assert.Throws<ArgumentException>(() => SensorDataset.FromTable(SensorTable.Load(many, "none"), new[] { "x" }, "id"));
            Assert.Contains("3001 classes", tooMany.Message);
            Assert.Contains("--classes", tooMany.Message);

            // A test set may hold a class the training set lacks once --classes says how many there are.
            string test = Write("x,activity\n1,3\n");
            var testSet = SensorDataset.FromTable(SensorTable.Load(test, "none"), new[] { "x" }, LabelSpec.For("activity", 4), new[] { 0 });
            Assert.Equal(4, testSet.ClassCount);
            Assert.Contains("only 3 classes", Assert.Throws<ArgumentException>(() =>
                SensorDataset.FromTable(SensorTable.Load(test, "none"), new[] { "x" }, LabelSpec.For("activity", 3), new[] { 0 })).Message);
        }

        [Fact]
        public void EachFeatureGetsAFixedPointFromItsRangeAndOutOfRangeIsAnErrorNamingRowAndColumn()
        {
            string path = Write("t,ratio,co2,label\n21.01,0.0041,400,0\n21.02,0.0042,2000,1\n");
            var d = SensorDataset.FromTable(SensorTable.Load(path, "none"), new[] { "t", "ratio", "co2" }, "label");
            Assert.Equal(new[] { 4, 8, 2 }, d.Decimals);
            Assert.NotEqual(d.Raw[0][0], d.Raw[1][0]); // a 0.01 °C step survives (it was 2101 vs 2102 at ×100 too, but ratio was 0 vs 0)
            Assert.NotEqual(d.Raw[0][1], d.Raw[1][1]);
            Assert.Equal(410_000, d.Raw[0][1]);
            string test = Write("t,ratio,co2,label\n21.0,0.004,400,0\n21.0,50,400,1\n");
            var e = Assert.Throws<ArgumentException>(() => SensorDataset.FromTable(SensorTable.Load(test, "none"), new[] { "t", "ratio", "co2" }, LabelSpec.For("label"), d.Decimals));
            Assert.Contains(":3: column 'ratio' = 50 is out of range", e.Message);

            InputNormalizer normalizer = NormalizerFit.Fit(d.Raw, decimals: d.Decimals);
            var network = Network.CreateMlp(new[] { 3, 2 }, 1, -1, false);
            byte[] bytes = ModelFile.Save(new Model(network, normalizer));
            Model back = ModelFile.Load(bytes, bytes.Length, 0, false);
            Assert.Equal(new[] { 4, 8, 2 }, back.Normalizer.Features.Select(f => f.Decimals).ToArray());
        }

        [Fact]
        public void MetricsGiveBalancedAccuracyRecallConfusionAndTheOneClassWarning()
        {
            int[] truth = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
            var allZero = ClassMetrics.Of(2, truth, new int[10]);
            Assert.Equal(0.9, allZero.Accuracy, 9);
            Assert.Equal(0.5, allZero.BalancedAccuracy, 9);
            Assert.Equal(0.9, allZero.MajorityRate, 9);
            Assert.True(allZero.PredictsOneClass);
            Assert.Contains("predicts class 0 only", allZero.Format());
            var mixed = ClassMetrics.Of(3, new[] { 0, 0, 1, 1 }, new[] { 0, 1, 1, 1 });
            Assert.Equal(0.75, mixed.Accuracy, 9);
            Assert.Equal(0.75, mixed.BalancedAccuracy, 9); // class 2 never occurs: not in the mean
            Assert.Null(mixed.Recall(2));
            Assert.Equal(1, mixed.Confusion[0][1]);
            Assert.False(mixed.PredictsOneClass);
            Assert.DoesNotContain("warning", mixed.Format());
        }
    }
}
