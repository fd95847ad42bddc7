using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The agreement check (FleetMember.AgreementBudget, docs/FLEET.md): a blend is judged by how many
    /// predictions of the board's recent history (labelled or not) it changes from the board's current model.
    /// </summary>
    public class AgreementTests
    {
        private const int Exponent = -7;

        /// <summary>A board trained on the rule "x0 + x1 &gt; 0", a fleet model trained on a shifted rule, and 64 recent samples.</summary>
        private static (Network Board, ParameterSet Own, byte[] Message, int Length, HistoryRing History) Setup(int labelEvery = 0)
        {
            Network board = FleetNets.Create(1);
            FleetNets.Train(board, 1, 60);
            Network fleet = FleetNets.Create(1);
            FleetNets.Train(fleet, 2, 120, bias: 70);
            var merged = new ParameterSet(fleet);
            merged.CopyFrom(fleet);
            var message = new byte[FleetMessage.MergedBytes(merged)];
            int length = FleetMessage.WriteMerged(message, merged, 1, 3, 900, new HmacSha256(FleetNets.FleetKey));
            var history = new HistoryRing(64, 6);
            var random = new Random(5);
            Network sample = FleetNets.Create(9);
            for (int k = 0; k < 80; k++) // wraps round: the oldest 16 are overwritten
            {
                int label = FleetNets.Fill(sample, random, 70); // labelled by the fleet's rule
                history.Add(sample.Input.Data, 1000L * k, 0);
                if (labelEvery > 0 && k % labelEvery == 0)
                {
                    int slot = history.NewestSlot();
                    history.SetLabel(slot, label);
                    history.SetState(slot, LabelState.Used);
                }
            }
            var own = new ParameterSet(board);
            own.CopyFrom(board);
            return (board, own, message, length, history);
        }

        private static FleetMember Member(Network board, int budget, int halvings = 0, int evidence = 0)
        {
            var m = new FleetMember(board, FleetNets.BoardKey, FleetNets.FleetKey, FleetMessage.DefaultMaxBytes, 64)
            { KeepOwnHead = true, OwnWeightFactor = 2, HistoryTolerance = -1, AgreementBudget = budget, AgreementHalvings = halvings, AgreementEvidence = evidence };
            m.ReserveAgreement(64);
            return m;
        }

        private static ParameterSet Snapshot(Network n) { var s = new ParameterSet(n); s.CopyFrom(n); return s; }

        /// <summary>Predictions of the history ring the network makes differently from the parameters in reference.</summary>
        private static int Changed(Network n, ParameterSet reference, HistoryRing h)
        {
            ParameterSet now = Snapshot(n);
            var before = new int[h.Capacity];
            reference.CopyTo(n);
            for (int slot = 0; slot < h.Count; slot++) before[slot] = Predict(n, h, slot);
            now.CopyTo(n);
            int changed = 0;
            for (int slot = 0; slot < h.Count; slot++) if (Predict(n, h, slot) != before[slot]) changed++;
            return changed;
        }

        private static int Predict(Network n, HistoryRing h, int slot)
        {
            Array.Copy(h.Data, h.OffsetOf(slot), n.Input.Data, 0, h.FeatureCount);
            n.Input.Exponent = Exponent;
            return n.Predict();
        }

        [Fact]
        public void AnAmpleBudgetTakesExactlyTheBlendABoardWithoutTheCheckTakes()
        {
            var (plain, _, message, length, history) = Setup();
            FleetMember without = Member(plain, -1);
            Assert.True(without.Receive(message, length));
            Assert.True(without.ApplyStaged(100, null, history, Exponent));

            var (board, own, _, _, _) = Setup();
            FleetMember with = Member(board, 64);
            Assert.True(with.Receive(message, length));
            Assert.True(with.ApplyStaged(100, null, history, Exponent));
            MessageTests.AssertSame(Snapshot(plain), Snapshot(board));
            Assert.Equal(0, with.LastHalvings);
            Assert.Equal(Changed(board, own, history), with.LastChanged);
            Assert.True(with.LastChanged > 4, "the fleet's rule must change some of the board's predictions for the tests below to mean something");
        }

        [Fact]
        public void ABlendChangingMorePredictionsThanTheBudgetIsDeclinedAndNothingChanges()
        {
            var (board, own, message, length, history) = Setup();
            FleetMember member = Member(board, 2);
            Assert.True(member.Receive(message, length));
            Assert.False(member.ApplyStaged(100, null, history, Exponent));
            Assert.True(member.LastChanged > 2);
            Assert.Equal(1, member.Declined);
            Assert.Equal(1, member.AgreementDeclined);
            Assert.Equal(0u, member.BaseVersion);
            Assert.False(member.InTrial);
            MessageTests.AssertSame(own, Snapshot(board));
        }

        [Fact]
        public void WithHalvingsTheBoardTakesTheLargestStepWithinTheBudget()
        {
            var (full, own, message, length, history) = Setup();
            FleetMember reference = Member(full, 64);
            reference.Receive(message, length);
            reference.ApplyStaged(100, null, history, Exponent);
            int fullChanged = reference.LastChanged;
            int budget = fullChanged / 4;

            var (board, _, _, _, _) = Setup();
            FleetMember member = Member(board, budget, halvings: 6);
            Assert.True(member.Receive(message, length));
            Assert.True(member.ApplyStaged(100, null, history, Exponent));
            int k = member.LastHalvings;
            Assert.InRange(k, 1, 6);
            Assert.Equal(1, member.Narrowed);
            Assert.True(member.InTrial);
            Assert.True(Changed(board, own, history) <= budget);
            Assert.Equal(Changed(board, own, history), member.LastChanged);

            // The step is 2^-k of the way to the full blend (first layer's biases, real values).
            ParameterSet taken = Snapshot(board), blend = Snapshot(full);
            double Real(ParameterSet p, int c) => p.Bias[0][c] * Math.Pow(2, p.BiasExponent[0]);
            for (int c = 0; c < own.Channels[0]; c++)
            {
                double expected = Real(own, c) + (Real(blend, c) - Real(own, c)) / (1 << k);
                Assert.InRange(Real(taken, c), expected - 1e-3, expected + 1e-3);
            }

            // One halving fewer would not have fitted: that board declines.
            var (fewer, _, _, _, _) = Setup();
            FleetMember shorter = Member(fewer, budget, halvings: k - 1);
            Assert.True(shorter.Receive(message, length));
            Assert.False(shorter.ApplyStaged(100, null, history, Exponent));
            Assert.True(shorter.LastChanged > budget);
        }

        [Fact]
        public void LabelledChangesTheBlendGetsRightBuyMoreChanges()
        {
            // Every fourth sample labelled by the fleet's rule: where the blend changes a labelled prediction it is right.
            var (board, own, message, length, history) = Setup(labelEvery: 4);
            FleetMember strict = Member(board, 0);
            Assert.True(strict.Receive(message, length));
            Assert.False(strict.ApplyStaged(100, null, history, Exponent));

            var (trusting, _, _, _, _) = Setup(labelEvery: 4);
            FleetMember member = Member(trusting, 0, evidence: 64);
            Assert.True(member.Receive(message, length));
            Assert.True(member.ApplyStaged(100, null, history, Exponent));
            Assert.True(member.LastChanged > 0);
        }

        [Fact]
        public void TheCheckNeedsItsBufferReservedAtStartUp()
        {
            var (board, _, message, length, history) = Setup();
            var member = new FleetMember(board, FleetNets.BoardKey, FleetNets.FleetKey, FleetMessage.DefaultMaxBytes, 64) { AgreementBudget = 0, HistoryTolerance = -1, KeepOwnHead = true };
            Assert.Throws<ArgumentException>(() => member.ReserveAgreement(0));
            Assert.True(member.Receive(message, length));
            Assert.True(member.ApplyStaged(100, null, history, Exponent)); // no buffer: no check (FleetLink reserves it when it binds)
            Assert.Equal(0, member.AgreementDeclined);
        }
    }
}
