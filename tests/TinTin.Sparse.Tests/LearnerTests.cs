using System;
using System.Linq;
using TinTin.Core;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Sparse.Tests
{
    public class LearnerTests
    {
        private static Model NewModel(int features = 3, int classes = 2, uint seed = 3)
        {
            var scales = Enumerable.Range(0, features).Select(_ => new FeatureScale(100, ShiftSum.FromRatio(1, 2, 2))).ToArray();
            return new Model(Network.CreateMlp(new[] { features, 12, 8, classes }, seed, -1, false), new InputNormalizer(scales, -3));
        }

        private static int[] Raw(int i) => new[] { (i * 37) % 200, (i * 91) % 200, (i * 13) % 200 };

        [Theory]
        [InlineData(UpdatePolicy.Sparse)]
        [InlineData(UpdatePolicy.Full)]
        [InlineData(UpdatePolicy.LastLayer)]
        [InlineData(UpdatePolicy.BiasOnly)]
        public void ObserveLabelAndUpdateAllocateNothingAfterConstruction(UpdatePolicy policy)
        {
            var learner = new ContinualLearner(NewModel(), new ContinualConfig
            {
                Policy = policy, ReselectEveryUpdates = 3, MaxUpdatesPerMinute = 30, DriftMinSamples = 8, DriftLambdaQ8 = 512,
            });
            int[] raw = new int[3];
            long now = 0;
            void Run(int steps)
            {
                for (int i = 0; i < steps; i++)
                {
                    raw[0] = (i * 37) % 200; raw[1] = (i * 91) % 200; raw[2] = (i * 13) % 200;
                    int predicted = learner.Observe(raw, now += 1000);
                    // Regimes of 60 samples: labels that agree with the prediction, then disagree (drift).
                    int label = (i / 60) % 2 == 0 ? predicted : 1 - predicted;
                    if (i % 5 == 4) learner.LabelRecent(label, now - 4000, now);
                    learner.UpdateIfDue(now);
                }
            }
            Run(400); // warm-up: JIT, statics
            int updates = learner.Updates, reselections = learner.Reselections, drifts = learner.DriftSignals;
            long allocated = Allocations.FewestBytes(() => Run(200));
            Assert.Equal(0, allocated);
            Assert.True(learner.Updates > updates);
            Assert.True(learner.Reselections > reselections, "periodic re-selections ran inside the measured loop");
            Assert.True(learner.DriftSignals > drifts, "drift signals fired inside the measured loop");
        }

        [Fact]
        public void LateLabelsMarkExactlyTheRememberedSpan()
        {
            var learner = new ContinualLearner(NewModel(), new ContinualConfig { HistorySamples = 8 });
            for (int i = 0; i < 20; i++) learner.Observe(Raw(i), i * 1000L);
            Assert.Equal(8, learner.HistoryCount);
            Assert.Equal(3, learner.LabelRecent(1, 5000, 14000));    // only 12..14 are still remembered
            Assert.Equal(3, learner.PendingLabels);
            Assert.Equal(3, learner.LabelRecent(0, 12000, 14000));   // relabelling changes nothing pending
            Assert.Equal(3, learner.PendingLabels);
            Assert.Equal(0, learner.LabelRecent(1, 100000, 200000));
            for (int i = 20; i < 25; i++) learner.Observe(Raw(i), i * 1000L); // 12..16 fall out of the ring
            Assert.Equal(0, learner.PendingLabels);
            Assert.Throws<ArgumentException>(() => learner.LabelRecent(2, 0, 1));
            Assert.Throws<ArgumentException>(() => learner.LabelRecent(0, 5, 1));
            Assert.False(learner.UpdateIfDue(30000));
        }

        [Fact]
        public void RateCapAllowsAtMostNUpdatesPerMinute()
        {
            var learner = new ContinualLearner(NewModel(), new ContinualConfig { MaxUpdatesPerMinute = 2, BatchSize = 2, ReplayCapacity = 0 });
            for (int i = 0; i < 40; i++) learner.Observe(Raw(i), i * 100L);
            learner.LabelRecent(0, 0, 1900);
            learner.LabelRecent(1, 2000, 3900);
            Assert.True(learner.UpdateIfDue(10000));
            Assert.True(learner.UpdateIfDue(20000));
            Assert.False(learner.UpdateIfDue(30000));
            Assert.False(learner.UpdateIfDue(69999));
            Assert.True(learner.UpdateIfDue(70000));   // 60 s after the first
            Assert.False(learner.UpdateIfDue(70001));
            Assert.Equal(3, learner.Updates);
            Assert.Equal(40 - 3 * 2, learner.PendingLabels);
        }

        [Fact]
        public void BatchesAreClassBalancedAndReplayKeepsOldClasses()
        {
            var learner = new ContinualLearner(NewModel(classes: 3), new ContinualConfig { MaxUpdatesPerMinute = 0, BatchSize = 6, ReplayCapacity = 30 });
            long t = 0;
            // Class 0 abundant, class 1 and 2 rare: new samples are picked round-robin over classes.
            for (int i = 0; i < 30; i++) learner.Observe(Raw(i), t += 1000);
            learner.LabelRecent(0, 1000, 24000);
            learner.LabelRecent(1, 25000, 27000);
            learner.LabelRecent(2, 28000, 30000);
            Assert.True(learner.UpdateIfDue(t));
            Assert.Equal(2, learner.LastBatchCountOf(0));
            Assert.Equal(2, learner.LastBatchCountOf(1));
            Assert.Equal(2, learner.LastBatchCountOf(2));
            Assert.Equal(0, learner.LastBatchReplayCount);
            while (learner.UpdateIfDue(t)) { }
            Assert.Equal(0, learner.PendingLabels);
            Assert.Equal(3, learner.Replay.CountOf(1));
            Assert.Equal(10, learner.Replay.CountOf(0));
            // Later only class 0 is labelled: replay brings classes 1 and 2 back into the batch.
            for (int i = 0; i < 10; i++) learner.Observe(Raw(100 + i), t += 1000);
            learner.LabelRecent(0, t - 9000, t);
            Assert.True(learner.UpdateIfDue(t));
            Assert.Equal(3, learner.LastBatchCountOf(0));   // half the batch new (plus none from replay: class 0 already has most)
            Assert.Equal(3, learner.LastBatchReplayCount);
            Assert.True(learner.LastBatchCountOf(1) >= 1 && learner.LastBatchCountOf(2) >= 1);
        }

        [Fact]
        public void ReservoirKeepsAUniformSamplePerClass()
        {
            var kept = new int[100];
            for (int trial = 0; trial < 2000; trial++)
            {
                var replay = new ReplayBuffer(10, 1, 2, (uint)(trial * 7919 + 1));
                for (int i = 0; i < 100; i++) replay.Add(new[] { (sbyte)i }, 0, 0);
                replay.Add(new sbyte[] { 1 }, 0, 1);
                Assert.Equal(5, replay.CountOf(0));
                Assert.Equal(1, replay.CountOf(1));
                Assert.Equal(100, replay.SeenOf(0));
                for (int s = 0; s < 5; s++) kept[replay.Data[replay.OffsetOf(0, s)]]++;
            }
            // Expected 2000 · 5/100 = 100 per sample.
            Assert.All(kept, k => Assert.InRange(k, 55, 150));
        }

        [Fact]
        public void DriftDetectorIgnoresAStationaryErrorRateAndFiresOnARise()
        {
            var d = new DriftDetector(13, 2048, 16);
            for (int i = 0; i < 5000; i++) Assert.False(d.Add(i % 10 == 0), $"false alarm at {i}");
            int firedAfter = -1;
            for (int i = 0; i < 200 && firedAfter < 0; i++) if (d.Add(i % 5 < 3)) firedAfter = i + 1; // 60 %
            Assert.InRange(firedAfter, 1, 40);
            Assert.Equal(1, d.Signals);
        }

        [Fact]
        public void DriftTriggersAReselectionBeforeTheNextUpdate()
        {
            var learner = new ContinualLearner(NewModel(), new ContinualConfig { ReselectEveryUpdates = 0, MaxUpdatesPerMinute = 0, DriftMinSamples = 8, DriftLambdaQ8 = 1024 });
            long t = 0;
            for (int i = 0; i < 100; i++)
            {
                int p = learner.Observe(Raw(i), t += 1000);
                learner.LabelRecent(i < 40 ? p : 1 - p, t, t);
                if (learner.DriftSignals > 0) break;
            }
            Assert.Equal(1, learner.DriftSignals);
            Assert.True(learner.ReselectPending);
            Assert.Equal(0, learner.Reselections);
            Assert.True(learner.UpdateIfDue(t));
            Assert.Equal(1, learner.Reselections);
            Assert.False(learner.ReselectPending);
        }

        [Fact]
        public void ByDefaultARecentSelectionScoresTheHistorysLabelledSamplesOnlyAndReplayOnlyWhenNoneIsLeft()
        {
            ContinualLearner Trained(bool recentOnly)
            {
                var learner = new ContinualLearner(NewModel(), new ContinualConfig
                {
                    HistorySamples = 16, ReselectEveryUpdates = 0, ReselectOnDrift = false, MaxUpdatesPerMinute = 0, ScoreRecentOnly = recentOnly,
                });
                long t = 0;
                for (int i = 0; i < 64; i++)
                {
                    int p = learner.Observe(Raw(i), t += 1000);
                    if (i % 8 == 7) { learner.LabelRecent(i % 16 == 7 ? 0 : 1, t - 2000, t); learner.UpdateIfDue(t); } // 3 labelled of every 8
                }
                return learner;
            }
            ContinualLearner recent = Trained(true), mixed = Trained(false);
            Assert.True(recent.Replay.Count > 6, "replay holds more than the history's labelled samples");
            Assert.Equal(0, recent.ScoredSamples);
            recent.Reselect();
            Assert.Equal(6, recent.ScoredSamples);                  // the 16-sample history holds two spans of 3
            mixed.Reselect();
            Assert.Equal(6 + mixed.Replay.Count, mixed.ScoredSamples); // the default of before: replay fills up to ScoringSamples (64)
            // Once the history holds no labelled sample, recent scoring falls back to replay (never to no scores at all).
            long now = 100_000;
            for (int i = 0; i < 16; i++) recent.Observe(Raw(i), now += 1000);
            recent.Reselect();
            Assert.Equal(6 + recent.Replay.Count, recent.ScoredSamples);
        }

        [Fact]
        public void SetBudgetReselectsWithinTheNewBudget()
        {
            var learner = new ContinualLearner(NewModel(), new ContinualConfig());
            int all = new ContinualLearner(NewModel(), new ContinualConfig { Policy = UpdatePolicy.Full }).SelectedBytes;
            Assert.Equal(all, learner.SelectedBytes); // the ESP32 default budget fits this small model whole
            learner.SetBudget(all / 4, 0);
            Assert.Equal(1, learner.Reselections);
            Assert.True(learner.SelectedBytes <= all / 4);
            Assert.True(learner.SelectedChannels > 0);
            learner.SetBudget(0, 3000);
            Assert.True(learner.Selector.SelectedUpdateMacs <= 3000);
            Assert.Equal(learner.Config.Profile.TrainingBudgetBytes(learner.StaticBytes), learner.BudgetBytes);
            Assert.Throws<ArgumentException>(() => learner.SetBudget(-1, 0));
        }

        [Fact]
        public void NoUpdatePolicyNeverChangesTheModel()
        {
            Model model = NewModel();
            string before = TestNets.Fingerprint(model.Network);
            var learner = new ContinualLearner(model, new ContinualConfig { Policy = UpdatePolicy.None });
            for (int i = 0; i < 50; i++) { learner.Observe(Raw(i), i * 1000L); learner.LabelRecent(i % 2, i * 1000L, i * 1000L); Assert.False(learner.UpdateIfDue(i * 1000L)); }
            Assert.Equal(before, TestNets.Fingerprint(model.Network));
            Assert.Equal(0, learner.SelectedChannels);
        }

        [Fact]
        public void BadConfigurationIsRejectedWithAClearMessage()
        {
            Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new ContinualLearner(NewModel(), new ContinualConfig { BatchSize = 0 })).Message);
            Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new ContinualLearner(NewModel(), new ContinualConfig { BatchSize = 129 })).Message);
            Assert.Contains("HistorySamples", Assert.Throws<ArgumentException>(() => new ContinualLearner(NewModel(), new ContinualConfig { HistorySamples = 0 })).Message);
            Assert.Contains("LearningRate", Assert.Throws<ArgumentException>(() => new ContinualLearner(NewModel(), new ContinualConfig { LearningRate = null })).Message);
            var learner = new ContinualLearner(NewModel(), new ContinualConfig());
            Assert.Contains("3 raw features", Assert.Throws<ArgumentException>(() => learner.Observe(new int[2], 0)).Message);
        }

        [Fact]
        public void TheDefaultMacBudgetIsTheProfilesTimeAllowance()
        {
            DeviceProfile c3 = DeviceProfile.Esp32C3;
            long expected = (long)c3.UpdateAllowanceMs * 1000 * c3.CpuMHz / c3.CyclesPerMac; // ms → µs × cycles/µs ÷ cycles/MAC
            Assert.Equal(expected, c3.TrainingBudgetMacs());
            Assert.InRange(c3.WithUpdateAllowance(2 * c3.UpdateAllowanceMs).TrainingBudgetMacs(), 2 * c3.TrainingBudgetMacs(), 2 * c3.TrainingBudgetMacs() + 1);
            var learner = new ContinualLearner(NewModel(), new ContinualConfig { Profile = c3 });
            Assert.Equal(c3.TrainingBudgetMacs(), learner.BudgetMacs);
            learner.SetBudget(0, 0);
            Assert.Equal(c3.TrainingBudgetMacs(), learner.BudgetMacs);
            Assert.Throws<ArgumentException>(() => c3.WithUpdateAllowance(0));
        }

        [Fact]
        public void ADeferredArenaIsSizedToTheBudgetAndTheSelectionFitsIt()
        {
            var scales = Enumerable.Range(0, 3).Select(_ => new FeatureScale(100, ShiftSum.FromRatio(1, 2, 2))).ToArray();
            Model Deferred() => new Model(Network.CreateMlp(new[] { 3, 32, 32, 2 }, 3, Network.ArenaFromBudget, false), new InputNormalizer(scales, -3));
            Model model = Deferred();
            Assert.True(model.Network.ArenaDeferred);
            int fullInts = model.Network.FullTrainingInts;
            int fullBytes = model.Network.FullBackwardBytes();
            var learner = new ContinualLearner(model, new ContinualConfig { BudgetBytes = fullBytes / 3, BudgetMacs = long.MaxValue });
            Assert.False(model.Network.ArenaDeferred);
            int activationBytes = fullBytes - 4 * fullInts;
            Assert.Equal((fullBytes / 3 - activationBytes) / 4, model.Network.TrainingCapacityInts);
            Assert.True(learner.SelectedBytes <= fullBytes / 3);
            Assert.True(learner.SelectedChannels > 0);
            // What the engine allocated for training stays within the budget (activations are counted once).
            Assert.True(4 * model.Network.TrainingCapacityInts + activationBytes <= fullBytes / 3);
            // A bigger budget later cannot grow the arena: the selection stays within what was allocated.
            learner.SetBudget(fullBytes, long.MaxValue);
            Assert.True(model.Network.TrainingIntsFor(CountsOf(learner), null) <= model.Network.TrainingCapacityInts);
            Assert.Throws<InvalidOperationException>(() => model.Network.AllocateTrainingArena(10));
            // A budget that holds the full update gets the full arena, and the whole model trains.
            Model roomy = Deferred();
            var all = new ContinualLearner(roomy, new ContinualConfig { BudgetBytes = 10 * fullBytes, BudgetMacs = long.MaxValue });
            Assert.Equal(fullInts, roomy.Network.TrainingCapacityInts);
            Assert.Equal(all.Scorer.TotalChannels, all.SelectedChannels);
        }

        private static int[] CountsOf(ContinualLearner learner)
        {
            var counts = new int[learner.Model.Network.Layers.Length];
            learner.Selector.CountsOfNetwork(counts);
            return counts;
        }

        [Fact]
        public void DeviceProfilesGiveBudgetsAndEnergy()
        {
            Assert.Equal(111 * 1024, DeviceProfile.Esp32.HeapBytes);
            Assert.Equal(54 * 1024, DeviceProfile.ByName("ESP32-C3").HeapBytes);
            Assert.Same(DeviceProfile.Stm32F429, DeviceProfile.ByName("stm32f4"));
            Assert.Null(DeviceProfile.ByName("z80"));
            Assert.Equal(0, DeviceProfile.Esp32C3.TrainingBudgetBytes(1 << 20));
            // 240 000 MACs · 3200 cycles (calibrated on nanoCLR) / 240 MHz = 3.2 s; at 165 mW = 528 000 µJ.
            Assert.Equal(3200, DeviceProfile.Esp32.CyclesPerMac);
            Assert.Equal(3200000, DeviceProfile.Esp32.MicrosecondsFor(240000));
            Assert.Equal(528000, DeviceProfile.Esp32.MicrojoulesFor(240000));
            DeviceProfile custom = DeviceProfile.Esp32.WithHeap(64 * 1024, 16 * 1024);
            Assert.Equal(48 * 1024 - 100, custom.TrainingBudgetBytes(100));
        }
    }
}
