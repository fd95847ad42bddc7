using System;
using System.IO;
using TinTin.Reference;
using Xunit;

namespace TinTin.Sensors.Tests
{
    public class ReplaySourceTests
    {
        [Fact]
        public void Plays_the_occupancy_file_row_by_row_then_ends()
        {
            var replay = ReplaySource.Open(RepositoryPaths.Find("data", "occupancy", "datatraining.txt"), ReplayColumns.Occupancy());
            Assert.Equal(8143, replay.RowCount);
            Assert.False(replay.HasPressure);
            Assert.True(replay.HasLabels);
            var s = new EnvironmentSample();
            Assert.Equal(SampleStatus.Ok, replay.Read(s));
            // "1","2015-02-04 17:51:00",23.18,27.272,426,721.25,0.00479298817650529,1
            Assert.Equal(2318, s.TemperatureCentiC);
            Assert.Equal(2727, s.HumidityCentiPercent);
            Assert.Equal(1, s.Label);
            Assert.False(s.HasPressure);
            Assert.Equal(new DateTimeOffset(2015, 2, 4, 17, 51, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), s.TimestampMs);
            int ok = 1, occupied = 1;
            int status;
            while ((status = replay.Read(s)) == SampleStatus.Ok) { ok++; occupied += s.Label; }
            Assert.Equal(SampleStatus.EndOfData, status);
            Assert.Equal(8143, ok);
            Assert.Equal(1729, occupied); // README: 1,729 occupied rows
            Assert.Equal(SampleStatus.EndOfData, replay.Read(s));
        }

        [Fact]
        public void As_fast_as_possible_never_waits()
        {
            var clock = new SimulatedClock();
            var replay = ReplaySource.Open(RepositoryPaths.Find("data", "occupancy", "datatraining.txt"), ReplayColumns.Occupancy(), 0, clock);
            var s = new EnvironmentSample();
            while (replay.Read(s) == SampleStatus.Ok) { }
            Assert.Equal(0, clock.NowMs);
            Assert.Equal(0, clock.SleptMs);
        }

        [Fact]
        public void Paced_replay_releases_rows_at_data_time_divided_by_speed()
        {
            var clock = new SimulatedClock(5_000);
            var table = SensorTable.Load(RepositoryPaths.Find("data", "occupancy", "datatraining.txt"), "date");
            var replay = new ReplaySource(table, ReplayColumns.Occupancy(), 60, clock);
            var s = new EnvironmentSample();
            long first = 0;
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(SampleStatus.Ok, replay.Read(s));
                if (i == 0) first = s.TimestampMs;
                long expected = 5_000 + (long)Math.Round((s.TimestampMs - first) / 60.0);
                Assert.Equal(expected, clock.NowMs);
            }
            // 99 steps of about a minute each at 60× ≈ 99 s of clock time.
            Assert.InRange(clock.NowMs - 5_000, 97_000, 101_000);
        }

        [Fact]
        public void Loop_starts_again_with_time_still_increasing()
        {
            string csv = WriteCsv("date,Temperature,Humidity,Occupancy\n2015-02-04 17:51:00,20,30,0\n2015-02-04 17:52:00,21,31,1\n");
            var replay = ReplaySource.Open(csv, ReplayColumns.Occupancy());
            replay.Loop = true;
            var s = new EnvironmentSample();
            long last = long.MinValue;
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(SampleStatus.Ok, replay.Read(s));
                Assert.True(s.TimestampMs > last);
                last = s.TimestampMs;
                Assert.Equal(i % 2 == 0 ? 2000 : 2100, s.TemperatureCentiC);
            }
            Assert.Equal(2, replay.Passes);
            replay.Rewind();
            Assert.Equal(0, replay.Position);
        }

        [Fact]
        public void Pressure_column_in_hectopascals_and_no_time_column()
        {
            string csv = WriteCsv("T,RH,P\n25.08,46.33,1006.5327\n-45,10,1000\n");
            var columns = new ReplayColumns { Time = null, Temperature = "T", Humidity = "RH", Pressure = "P", PressureToPa = 100, IntervalMs = 1000 };
            var replay = ReplaySource.Open(csv, columns);
            Assert.True(replay.HasPressure);
            var s = new EnvironmentSample();
            Assert.Equal(SampleStatus.Ok, replay.Read(s));
            Assert.Equal((2508, 4633, 100653, true, -1, 0L), (s.TemperatureCentiC, s.HumidityCentiPercent, s.PressurePa, s.HasPressure, s.Label, s.TimestampMs));
            Assert.Equal(SampleStatus.OutOfRange, replay.Read(s)); // −45 °C: consumed and reported
            Assert.Equal(1000, s.TimestampMs);
            Assert.Equal(SampleStatus.EndOfData, replay.Read(s));
        }

        [Fact]
        public void A_missing_mapped_column_is_named_in_the_error()
        {
            string path = RepositoryPaths.Find("data", "occupancy", "datatest2.txt");
            var e = Assert.Throws<ArgumentException>(() => ReplaySource.Open(path, new ReplayColumns { Humidity = "RelHum" }));
            Assert.Contains("humidity column 'RelHum'", e.Message);
            Assert.Contains("datatest2.txt", e.Message);
            Assert.Contains("Temperature", e.Message); // the columns that do exist
            var e2 = Assert.Throws<ArgumentException>(() => ReplaySource.Open(path, new ReplayColumns { Label = "Occupied" }));
            Assert.Contains("label column 'Occupied'", e2.Message);
            Assert.Throws<InvalidDataException>(() => ReplaySource.Open(path, new ReplayColumns { Time = "when" }));
        }

        [Fact]
        public void A_label_column_that_is_not_integer_is_refused_with_the_row()
        {
            string csv = WriteCsv("date,Temperature,Humidity,Occupancy\n2015-02-04 17:51:00,20,30,0\n2015-02-04 17:52:00,21,31,0.5\n");
            var e = Assert.Throws<InvalidDataException>(() => ReplaySource.Open(csv, ReplayColumns.Occupancy()));
            Assert.Contains("row 2", e.Message);
            Assert.Contains("Occupancy", e.Message);
        }

        [Fact]
        public void A_negative_speed_is_refused()
        {
            var e = Assert.Throws<ArgumentException>(() => ReplaySource.Open(RepositoryPaths.Find("data", "occupancy", "datatest2.txt"), ReplayColumns.Occupancy(), -1));
            Assert.Contains("speed", e.Message);
        }

        private static string WriteCsv(string text)
        {
            string path = Path.Combine(Path.GetTempPath(), "tintin-sensors-" + Guid.NewGuid().ToString("N") + ".csv");
            File.WriteAllText(path, text);
            return path;
        }
    }

    public class FaultLoopTests
    {
        /// <summary>The firmware's loop shape: read, count faults, skip them, push the rest, keep going.</summary>
        [Fact]
        public void Faults_are_counted_and_skipped_and_the_loop_reaches_the_end_of_the_data()
        {
            var replay = ReplaySource.Open(RepositoryPaths.Find("data", "occupancy", "datatest2.txt"), ReplayColumns.Occupancy());
            var source = new FaultInjectingSource(replay, 97, 41);
            var pipeline = new FeaturePipeline(FeatureSet.OccupancyDefault(), 8);
            var faults = new SensorFaults();
            var sample = new EnvironmentSample();
            var features = new int[pipeline.FeatureCount];
            int ok = 0, ready = 0, status;
            while ((status = source.Read(sample)) != SampleStatus.EndOfData)
            {
                faults.Count(status);
                if (status != SampleStatus.Ok) continue;
                ok++;
                if (pipeline.Push(sample, features)) ready++;
            }
            int rows = replay.RowCount;
            int i2c = rows / 97, range = rows / 41 - rows / (97 * 41);
            Assert.Equal(i2c, faults.I2cErrors);
            Assert.Equal(range, faults.OutOfRange);
            Assert.Equal(source.Injected, faults.Total);
            Assert.Equal(rows - faults.Total, ok);
            Assert.Equal(ok - (pipeline.WarmUpSamples - 1), ready);
            Assert.Equal(0, pipeline.Rejected); // the faulty samples never reached the pipeline
        }

        [Fact]
        public void A_bme280_with_intermittent_nacks_keeps_delivering()
        {
            var fake = FakeBme280.WithDatasheetExample();
            var driver = new Bme280Driver(fake, null);
            var faults = new SensorFaults();
            var s = new EnvironmentSample();
            int ok = 0;
            for (int i = 0; i < 100; i++)
            {
                if (i % 10 == 3) fake.NackNext = 1;
                int status = driver.Read(s);
                faults.Count(status);
                if (status == SampleStatus.Ok) { ok++; Assert.Equal(2508, s.TemperatureCentiC); }
            }
            Assert.Equal(10, faults.I2cErrors);
            Assert.Equal(90, ok);
        }
    }
}
