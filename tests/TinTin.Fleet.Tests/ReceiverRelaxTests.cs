using System;
using System.IO;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The receiver-side relaxation of the per-board merge (FleetAggregator.ReceiverRelaxSamples, `--receiver-relax R`,
    /// docs/experiments/fleet.md session 9): a receiver with n labelled samples (its verified class counts) takes every other board at
    /// kernel k + (1024 − k)·R/(R + n), so a board with few labels takes more of the fleet than one with many.
    /// </summary>
    public sealed class ReceiverRelaxTests
    {
        [Fact]
        public void RelaxRaisesAKernelTowards1024ByRtoRPlusN()
        {
            Assert.Equal(512, FleetAggregator.Relax(0, 64, 64));          // halfway
            Assert.Equal(1024, FleetAggregator.Relax(0, 64, 0));          // no labels yet: the whole fleet
            Assert.Equal(300, FleetAggregator.Relax(300, 0, 10));         // off
            Assert.Equal(1024, FleetAggregator.Relax(1024, 64, 5000));    // nothing above 1024
            Assert.Equal(300 + 724 * 64 / 4064, FleetAggregator.Relax(300, 64, 4000)); // many labels: nearly the kernel
            Assert.True(FleetAggregator.Relax(100, 64, 50) > FleetAggregator.Relax(100, 64, 500));
            Assert.Throws<ArgumentException>(() => FleetAggregator.Relax(1025, 64, 1));
            Assert.Throws<ArgumentException>(() => FleetAggregator.Relax(0, -1, 1));
            Assert.Throws<ArgumentException>(() => FleetAggregator.Relax(0, 64, -1));
            Assert.Null(FleetAggregator.ReceiverRelaxProblem(0, false));
            Assert.Null(FleetAggregator.ReceiverRelaxProblem(64, true));
            Assert.Contains("needs a per-board merge", FleetAggregator.ReceiverRelaxProblem(64, false));
            Assert.Contains("must be in 0..1000000", FleetAggregator.ReceiverRelaxProblem(-1, true));
        }

        /// <summary>
        /// Two boards whose label shares are too far apart for the label kernel (0 either way): without the relaxation each
        /// merge holds only the receiver's own update; with R 40 the board with 40 labelled samples takes the other at
        /// 1024·40/80 = 512, the board with 400 at 1024·40/440 = 93.
        /// </summary>
        [Fact]
        public void AReceiverWithFewLabelsTakesMoreOfTheOtherBoardThanOneWithMany()
        {
            string Merges(int relax)
            {
                FleetConfig config = FleetConfig.Demo(2);
                var log = new StringWriter();
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2, log)
                    { LabelKernelWidth = 300, ReceiverRelaxSamples = relax };
                var a = AggregatorTests.Board(config, 0, 1);
                var b = AggregatorTests.Board(config, 1, 2);
                Assert.True(aggregator.HandleUpdate("board1", Stats(a.Member, 40, 0, 40)).Accepted);
                Assert.True(aggregator.HandleUpdate("board2", Stats(b.Member, 400, 1, 400)).Accepted);
                Assert.Equal(0, aggregator.LabelKernelOf("board1", "board2"));
                int length = a.Member.WriteUpdate(30, 20);
                Assert.True(aggregator.HandleUpdate("board1", a.Member.UpdateBuffer.AsSpan(0, length).ToArray()).Accepted);
                length = b.Member.WriteUpdate(10, 5);
                AggregatorResult r = aggregator.HandleUpdate("board2", b.Member.UpdateBuffer.AsSpan(0, length).ToArray());
                Assert.True(r.Accepted, r.Error);
                Assert.Equal(2, r.PerBoard.Count);
                return log.ToString();
            }
            string off = Merges(0);
            Assert.Contains("for board1: 1 boards, 30 weighted labelled samples", off);
            Assert.Contains("for board2: 1 boards, 10 weighted labelled samples", off);
            string on = Merges(40);
            Assert.Contains("for board1: 2 boards, 35 weighted labelled samples", on);  // 30 + 10·512/1024
            Assert.Contains("for board2: 2 boards, 12 weighted labelled samples", on);  // 10 + 30·93/1024
        }

        private static byte[] Stats(FleetMember m, int samples, int cls, int labelled)
        {
            var x = new sbyte[6];
            for (int k = 0; k < samples; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)(i + k % 5);
                m.ObserveInput(x);
            }
            m.CountLabels(cls, labelled);
            int length = m.WriteStats(-6, 0);
            return m.StatsBuffer.AsSpan(0, length).ToArray();
        }
    }
}
