using System;
using System.Collections.Generic;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The trial scaled to the board's label rate (FleetMember.TrialLabelRatePerMille, `--trial-label-rate`, docs/experiments/fleet.md
    /// "Session 12"): a board labelling a smaller share of its samples than the rate judges a take on proportionally fewer
    /// labels (at least MinimumTrialLabels) and waits proportionally fewer after a rollback; off (0), every trial is
    /// TrialSamples labels as before.
    /// </summary>
    public class ScaledTrialTests
    {
        private static (byte[] Message, int Length) MergedModel(uint version)
        {
            Network source = FleetNets.Create(version);
            FleetNets.Train(source, (int)version, 5);
            var merged = new ParameterSet(source);
            merged.CopyFrom(source);
            var buffer = new byte[FleetMessage.MergedBytes(merged)];
            int length = FleetMessage.WriteMerged(buffer, merged, version, 3, 120, new HmacSha256(FleetNets.FleetKey));
            return (buffer, length);
        }

        /// <summary>A member that observed `samples` inputs, `labelled` of them labelled (class 0 and 1 alternately).</summary>
        private static FleetMember Member(int rate, int samples, int labelled, int minimum = 8)
        {
            Network board = FleetNets.Create(1);
            FleetNets.Train(board, 1, 10);
            var member = new FleetMember(board, FleetNets.BoardKey, FleetNets.FleetKey, FleetMessage.DefaultMaxBytes, 64)
            {
                TrialSamples = 32, TrialLabelRatePerMille = rate, MinimumTrialLabels = minimum,
            };
            var input = new sbyte[board.InputLength];
            for (int i = 0; i < samples; i++) member.ObserveInput(input);
            member.CountLabels(0, labelled / 2);
            member.CountLabels(1, labelled - labelled / 2);
            return member;
        }

        [Theory]
        // rate ‰, samples, labelled, minimum -> trial labels
        [InlineData(0, 1000, 30, 8, 32)]      // off: TrialSamples whatever the share
        [InlineData(100, 1000, 100, 8, 32)]   // at the rate: the whole trial
        [InlineData(100, 1000, 450, 8, 32)]   // above it: the whole trial
        [InlineData(100, 1000, 50, 8, 16)]    // half the rate: half the trial
        [InlineData(100, 1000, 30, 8, 10)]    // 32 · 30/100 = 9.6, rounded up
        [InlineData(100, 1000, 10, 8, 8)]     // 3.2: the minimum
        [InlineData(100, 1000, 0, 8, 8)]      // no labels yet: the minimum
        [InlineData(100, 1000, 10, 1, 4)]     // 3.2 rounded up, minimum 1
        [InlineData(100, 0, 0, 8, 32)]        // no samples observed: nothing to scale by
        [InlineData(250, 9745, 257, 8, 8)]    // a 0.5 %-press board of `rotated` (2.6 % of its samples labelled) at 250 ‰: 3.4, the minimum
        [InlineData(100, 9745, 702, 8, 24)]   // its 1.4 % board (7.2 % labelled) at 100 ‰: 23.05, rounded up
        public void TheTrialLastsTrialSamplesScaledByTheLabelledShare(int rate, int samples, int labelled, int minimum, int expected)
        {
            Assert.Equal(expected, Member(rate, samples, labelled, minimum).ScaledTrialLabels());
        }

        /// <summary>
        /// Unpaired trial (FleetMember alone): with the rate the take is kept after the scaled trial (10 labels) and a
        /// rollback waits the scaled trial; off, the same labels leave the take on trial, and a rollback waits 32.
        /// </summary>
        [Theory]
        [InlineData(0)]
        [InlineData(100)]
        public void AScaledTrialKeepsAfterItsLabelsAndWaitsItsLengthAfterARollback(int rate)
        {
            FleetMember member = Member(rate, 1000, 30);
            member.RecordLabelled(40, 36); // 90 % before the merge
            var first = MergedModel(1);
            Assert.True(member.Receive(first.Message, first.Length));
            Assert.True(member.ApplyStaged());
            int length = rate > 0 ? 10 : 32;
            Assert.Equal(length, member.TrialLength);
            int kept = member.RecordLabelled(10, 10);
            Assert.Equal(rate > 0 ? FleetTrial.Kept : FleetTrial.None, kept);
            Assert.Equal(rate == 0, member.InTrial);
            if (rate == 0) Assert.Equal(FleetTrial.Kept, member.RecordLabelled(22, 22));
            Assert.Equal(1u, member.BaseVersion);

            var second = MergedModel(2);
            Assert.True(member.Receive(second.Message, second.Length));
            Assert.True(member.ApplyStaged());
            Assert.Equal(FleetTrial.RolledBack, member.RecordLabelled(8, 0)); // none right: the accuracy before is out of reach
            Assert.Equal(1u, member.BaseVersion);
            Assert.Equal(length, member.WaitLabels);
            Assert.Equal((2, 1, 1), (member.Accepted, member.Kept, member.RolledBack));
        }

        private static readonly FleetConfig Config = FleetConfig.Demo(2);

        private static VirtualFleetBoard Board(FakeTransport transport, int rate) =>
            FirmwareBoards.On(transport, new FleetSettings { BoardKey = Config.Boards[0].Key, FleetKey = Config.FleetKey, KeepOwnHead = false, TrialLabelRatePerMille = rate });

        private static byte[] Merged(Network shapeOf, uint version, Action<ParameterSet> change)
        {
            var set = new ParameterSet(shapeOf);
            set.CopyFrom(shapeOf);
            change(set);
            var message = new byte[FleetMessage.MergedBytes(set)];
            FleetMessage.WriteMerged(message, set, version, 2, 100, new HmacSha256(Config.FleetKey));
            return message;
        }

        private static int Events(VirtualFleetBoard b, string what) =>
            b.SerialLines.Select(l => { try { return ProtocolParser.Parse(l); } catch (ProtocolException) { return null; } })
                .Count(m => m != null && m.Kind == "fleet" && m.Get("event") == what);

        /// <summary>
        /// The firmware's paired trial (FleetSettings.TrialLabelRatePerMille through FleetLink): a board that labelled
        /// nothing yet takes a model no worse than its own; with the rate its trial is the minimum (8 labels) and ends
        /// kept after the first 10 labelled samples, so the next version is taken; off, the trial is 32 labels and still
        /// runs, and the next version waits.
        /// </summary>
        [Theory]
        [InlineData(0)]
        [InlineData(100)]
        public void ThroughTheFirmwareABoardWithFewLabelsEndsItsTrialSoonerAndTakesTheNextVersion(int rate)
        {
            var t = new FakeTransport();
            using var b = Board(t, rate);
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            t.Incoming.Enqueue(Merged(b.Network, 1, s => s.Bias[s.LayerCount - 1][0] += 1)); // the board's own model, one bias step apart
            b.Step();
            Assert.True(b.Member.InTrial);
            Assert.Equal(rate > 0 ? 8 : 32, b.Member.TrialLength);
            for (int i = 0; i < 10; i++) b.Step();
            b.App.HandleLine("label " + b.App.LastPrediction + " 600"); // the samples since the take, as the taken model predicts them
            b.Step();
            t.Incoming.Enqueue(Merged(b.Network, 2, s => s.Bias[s.LayerCount - 1][1] += 1));
            b.Step();
            b.Step();
            Assert.Equal(rate > 0 ? 1 : 0, Events(b, "kept"));
            Assert.Equal(rate > 0 ? 2 : 1, Events(b, "taken"));
            Assert.Equal(rate > 0 ? 2u : 1u, b.Member.BaseVersion);
            Assert.Equal(0, b.Member.RolledBack);
        }
    }
}
