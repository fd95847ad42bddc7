using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Sparse.Tests
{
    /// <summary>
    /// Why accuracy stayed low after a burst of wrong labels: the classic reservoir keeps every
    /// sample ever seen with equal probability, so a burst that was half of a class's labels stays
    /// half of its replay for good, and every update re-teaches it. With a recency horizon the
    /// burst fades out at a steady rate.
    /// </summary>
    public class ReplayRecencyTests
    {
        /// <summary>Fraction of class 0's replay slots holding the burst's samples (marked by feature value 99).</summary>
        private static double PoisonedShareAfter(int recency, int burst, int cleanAfter)
        {
            var replay = new ReplayBuffer(64, 2, 2, 7) { Recency = recency };
            sbyte[] clean = { 10, 20 }, poisoned = { 99, 99 };
            for (int i = 0; i < 200; i++) replay.Add(clean, 0, 0);       // a long clean history
            for (int i = 0; i < burst; i++) replay.Add(poisoned, 0, 0);  // the burst, labelled 0
            for (int i = 0; i < cleanAfter; i++) replay.Add(clean, 0, 0);
            int bad = 0;
            for (int s = 0; s < replay.CountOf(0); s++) if (replay.Data[replay.OffsetOf(0, s)] == 99) bad++;
            return (double)bad / replay.CountOf(0);
        }

        [Fact]
        public void The_classic_reservoir_keeps_a_burst_for_good_and_the_recency_horizon_lets_it_fade()
        {
            double classic = PoisonedShareAfter(0, 200, 400);
            double recent = PoisonedShareAfter(4, 200, 400);
            // classic: ~200/800 of the slots stay poisoned; with recency 4 (horizon 128 samples) ~e^-(400/128) ≈ 4 %
            Assert.InRange(classic, 0.15, 0.40);
            Assert.True(recent < 0.10, "poisoned share with recency 4: " + recent);
        }

        [Fact]
        public void Recency_changes_nothing_until_a_class_has_seen_recency_times_its_slots()
        {
            var a = new ReplayBuffer(64, 3, 2, 11) { Recency = 0 };
            var b = new ReplayBuffer(64, 3, 2, 11) { Recency = 4 };
            var random = new Random(3);
            var sample = new sbyte[3];
            for (int i = 0; i < 2 * 4 * 32; i++)
            {
                random.NextBytes((byte[])(Array)sample);
                int label = i % 2;
                Assert.Equal(a.Add(sample, 0, label), b.Add(sample, 0, label));
            }
            Assert.Equal(a.Data, b.Data);
        }

        [Fact]
        public void A_negative_recency_is_refused()
        {
            var model = new Model(Network.CreateMlp(new[] { 2, 4, 2 }, 1, -1, false), null);
            Assert.Contains("ReplayRecency", Assert.Throws<ArgumentException>(() => new ContinualLearner(model, new ContinualConfig { ReplayRecency = -1 })).Message);
        }
    }
}
