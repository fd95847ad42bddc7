using System;
using System.Linq;
using FsCheck.Xunit;
using TinTin.Reference;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sensors.Tests
{
    public class FeaturePipelineTests
    {
        private static EnvironmentSample S(long t, int tc, int rh, int pa = 0, bool hasP = false) =>
            new EnvironmentSample { TimestampMs = t, TemperatureCentiC = tc, HumidityCentiPercent = rh, PressurePa = pa, HasPressure = hasP };

        [Fact]
        public void Instant_features_are_ready_at_once_and_deltas_after_two_samples()
        {
            var p = new FeaturePipeline(new[] { FeatureSet.Temperature, FeatureSet.Humidity, FeatureSet.HumidityRatio }, 5);
            var f = new int[3];
            Assert.True(p.Push(S(0, 2318, 2727), f));
            Assert.Equal(new[] { 2318, 2727, Psychrometrics.HumidityRatioMgPerKg(2318, 2727, 101325) }, f);

            var d = new FeaturePipeline(new[] { FeatureSet.TemperatureDelta, FeatureSet.HumidityDelta }, 1);
            Assert.Equal(2, d.WarmUpSamples);
            Assert.False(d.Push(S(0, 2000, 3000), f));
            Assert.True(d.Push(S(60, 2010, 2950), f));
            Assert.Equal(10, f[0]);
            Assert.Equal(-50, f[1]);
        }

        /// <summary>Any sequence of readings (FsCheck; a failure shrinks to the shortest, smallest one) and any window of 1..8.</summary>
        [Property(MaxTest = 200)]
        public void Window_statistics_match_a_direct_computation(Tuple<short, short>[] readings, byte windowSeed)
        {
            int[] ids = { FeatureSet.TemperatureMean, FeatureSet.TemperatureTrend, FeatureSet.TemperatureStdDev, FeatureSet.HumidityMean, FeatureSet.HumidityTrend, FeatureSet.HumidityStdDev };
            int w = 1 + windowSeed % 8;
            var p = new FeaturePipeline(ids, w);
            var f = new int[ids.Length];
            int count = readings.Length;
            var ts = new int[count]; var hs = new int[count];
            for (int i = 0; i < count; i++)
            {
                ts[i] = 2000 + readings[i].Item1 % 300; hs[i] = 3000 + readings[i].Item2 % 500;
                bool ready = p.Push(S(i, ts[i], hs[i]), f);
                Assert.Equal(i + 1 >= w, ready);
                int n = Math.Min(i + 1, w);
                var wt = ts.Skip(i + 1 - n).Take(n).Select(v => (double)v).ToArray();
                var wh = hs.Skip(i + 1 - n).Take(n).Select(v => (double)v).ToArray();
                Assert.Equal((int)Math.Round(wt.Average(), MidpointRounding.AwayFromZero), f[0]);
                Assert.Equal(ts[i] - ts[i + 1 - n], f[1]);
                Assert.True(Math.Abs(Std(wt) - f[2]) <= 0.5 + 1e-9, $"std {Std(wt)} vs {f[2]}");
                Assert.Equal((int)Math.Round(wh.Average(), MidpointRounding.AwayFromZero), f[3]);
                Assert.Equal(hs[i] - hs[i + 1 - n], f[4]);
                Assert.True(Math.Abs(Std(wh) - f[5]) <= 0.5 + 1e-9, $"std {Std(wh)} vs {f[5]}");
            }
        }

        private static double Std(double[] v)
        {
            double m = v.Average();
            return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / v.Length);
        }

        [Fact]
        public void Humidity_ratio_statistics_agree_with_the_instant_values_on_real_data()
        {
            var replay = ReplaySource.Open(RepositoryPaths.Find("data", "occupancy", "datatraining.txt"), ReplayColumns.Occupancy());
            int[] ids = { FeatureSet.HumidityRatio, FeatureSet.HumidityRatioMean, FeatureSet.HumidityRatioTrend, FeatureSet.HumidityRatioDelta };
            const int w = 10;
            var p = new FeaturePipeline(ids, w);
            var f = new int[ids.Length];
            var s = new EnvironmentSample();
            var history = new System.Collections.Generic.List<int>();
            while (replay.Read(s) == SampleStatus.Ok)
            {
                bool ready = p.Push(s, f);
                history.Add(f[0]);
                int k = history.Count;
                if (!ready) continue;
                var window = history.Skip(k - w).ToArray();
                Assert.Equal((int)Math.Round(window.Average(), MidpointRounding.AwayFromZero), f[1]);
                Assert.Equal(window[w - 1] - window[0], f[2]);
                Assert.Equal(history[k - 1] - history[k - 2], f[3]);
            }
            Assert.Equal(replay.RowCount, history.Count);
        }

        [Fact]
        public void Out_of_range_samples_are_refused_without_touching_the_window()
        {
            var p = new FeaturePipeline(new[] { FeatureSet.TemperatureDelta }, 2);
            var f = new int[1];
            p.Push(S(0, 2000, 3000), f);
            Assert.False(p.Push(S(1, 9000, 3000), f));   // 90 °C
            Assert.False(p.Push(S(2, 2000, 10001), f));  // 100.01 %RH
            Assert.False(p.Push(S(3, 2000, 3000, 20000, true), f)); // 200 hPa
            Assert.Equal(3, p.Rejected);
            Assert.Equal(SampleStatus.OutOfRange, p.LastRejectStatus);
            Assert.Equal(1, p.SampleCount);
            Assert.True(p.Push(S(4, 2005, 3000), f));
            Assert.Equal(5, f[0]);
        }

        [Fact]
        public void Pressure_features_need_pressure_in_the_sample()
        {
            var p = new FeaturePipeline(new[] { FeatureSet.Pressure, FeatureSet.PressureMean, FeatureSet.PressureTrend, FeatureSet.PressureDelta }, 2);
            Assert.True(p.NeedsPressure);
            var f = new int[4];
            Assert.False(p.Push(S(0, 2000, 3000), f));
            Assert.Equal(1, p.Rejected);
            p.Push(S(1, 2000, 3000, 100000, true), f);
            Assert.True(p.Push(S(2, 2000, 3000, 100010, true), f));
            Assert.Equal(new[] { 100010, 100005, 10, 10 }, f);
        }

        [Fact]
        public void A_time_gap_restarts_the_window_when_asked()
        {
            var p = new FeaturePipeline(new[] { FeatureSet.TemperatureDelta }, 1) { MaxGapMs = 120_000 };
            var f = new int[1];
            p.Push(S(0, 2000, 3000), f);
            Assert.True(p.Push(S(60_000, 2010, 3000), f));
            Assert.False(p.Push(S(60_000 + 3_600_000, 2100, 3000), f)); // an hour later: no delta across the gap
            Assert.Equal(1, p.GapResets);
            Assert.True(p.Push(S(60_000 + 3_660_000, 2110, 3000), f));
            Assert.Equal(10, f[0]);
        }

        [Fact]
        public void Reset_forgets_the_window()
        {
            var p = new FeaturePipeline(new[] { FeatureSet.TemperatureMean }, 3);
            var f = new int[1];
            for (int i = 0; i < 3; i++) p.Push(S(i, 1000, 3000), f);
            Assert.True(p.IsReady);
            p.Reset();
            Assert.False(p.IsReady);
            Assert.False(p.Push(S(9, 3000, 3000), f));
            Assert.Equal(3000, f[0]);
        }

        [Fact]
        public void Push_allocates_nothing()
        {
            var p = new FeaturePipeline(FeatureSet.OccupancyDefault(), 16);
            var f = new int[p.FeatureCount];
            var s = S(0, 2000, 3000);
            p.Push(s, f); // warm the JIT
            long minute = 1;                    // time goes on from window to window
            Assert.Equal(0, Allocations.FewestBytes(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    s.TimestampMs = minute++ * 60_000L;
                    s.TemperatureCentiC = 2000 + (i % 37);
                    s.HumidityCentiPercent = 3000 + (i % 53);
                    p.Push(s, f);
                }
            }));
        }

        [Fact]
        public void Bad_configuration_gets_a_clear_error()
        {
            var e1 = Assert.Throws<ArgumentException>(() => new FeaturePipeline(new[] { 0, 99 }, 4));
            Assert.Contains("feature #1", e1.Message);
            Assert.Contains("99", e1.Message);
            var e2 = Assert.Throws<ArgumentException>(() => new FeaturePipeline(new[] { 0 }, 0));
            Assert.Contains("window", e2.Message);
            Assert.Throws<ArgumentException>(() => new FeaturePipeline(new int[0], 4));
            var e3 = Assert.Throws<ArgumentException>(() => new FeaturePipeline(new[] { 0, 1 }, 4).Push(S(0, 1, 1), new int[1]));
            Assert.Contains("2", e3.Message);
        }

        [Fact]
        public void Feature_names_round_trip_and_unknown_names_list_the_known_ones()
        {
            for (int id = 0; id < FeatureSet.Count; id++)
            {
                Assert.Equal(id, FeatureSet.Parse(FeatureSet.Name(id)));
                Assert.False(string.IsNullOrEmpty(FeatureSet.Unit(id)));
            }
            Assert.Equal(FeatureSet.HumidityRatio, FeatureSet.Parse("humidityratio"));
            var e = Assert.Throws<ArgumentException>(() => FeatureSet.Parse("CO2"));
            Assert.Contains("CO2", e.Message);
            Assert.Contains("HumidityRatio", e.Message);
            Assert.Throws<ArgumentException>(() => FeatureSet.Name(FeatureSet.Count));
        }
    }
}
