using System;
using System.IO;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The input-only receiver relaxation (FleetAggregator.ReceiverRelaxInputSamples, `--receiver-relax-inputs R`,
    /// docs/experiments/fleet.md session 11): a receiver with n labelled samples takes every other board at
    /// (ki + (1024 − ki)·R/(R + n)) × k_label / 1024. The label kernel is kept: a board whose labels differ stays apart
    /// under any R; a board only the inputs separate is taken more the fewer labels the receiver has.
    /// </summary>
    public sealed class ReceiverRelaxInputsTests
    {
        [Fact]
        public void TheCommandLineCheckNamesWhatIsMissingOrClashes()
        {
            Assert.Null(FleetAggregator.ReceiverRelaxInputsProblem(0, 64, 0, 0));
            Assert.Null(FleetAggregator.ReceiverRelaxInputsProblem(1024, 0, 78, 300));
            Assert.Contains("must be in 0..1000000", FleetAggregator.ReceiverRelaxInputsProblem(-1, 0, 78, 300));
            Assert.Contains("must be in 0..1000000", FleetAggregator.ReceiverRelaxInputsProblem(1000001, 0, 78, 300));
            Assert.Contains("not both", FleetAggregator.ReceiverRelaxInputsProblem(64, 64, 78, 300));
            Assert.Contains("needs --similarity-merge all", FleetAggregator.ReceiverRelaxInputsProblem(64, 0, 0, 300));
            Assert.Contains("needs --label-kernel-width P", FleetAggregator.ReceiverRelaxInputsProblem(64, 0, 78, 0));
        }

        /// <summary>
        /// Four boards, W 78 × label kernel P 300, prior strength 0 (shares exact): board1 (40 labels, all class 1) is the
        /// receiver; board2 (400, class 1) has inputs 60 units a feature away, so only the input kernel separates it; board3
        /// (400, class 0) has alike inputs, so only the label kernel separates it; board4 sent an update but no statistics.
        /// Input-only relaxation R 40: board1 takes board2 at 512/1024, board3 at 0 (its labels differ), board4 at 0 (nothing
        /// to compare); the whole-kernel relaxation (session 9) gives board3 and board4 512 too. board2 (400 labels) takes board1 at
        /// 1024·40/440 = 93/1024 only.
        /// </summary>
        [Fact]
        public void AFewLabelBoardTakesTheBoardOnlyTheInputsSeparateButNotTheOneTheLabelsSeparate()
        {
            string Merges(int relaxInputs, int relaxAll)
            {
                FleetConfig config = FleetConfig.Demo(4);
                var log = new StringWriter();
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 4, log)
                    { SimilarityWidth = 78, LabelKernelWidth = 300, LabelPriorStrength = 0, ReceiverRelaxInputSamples = relaxInputs, ReceiverRelaxSamples = relaxAll };
                var a = AggregatorTests.Board(config, 0, 1);
                var b = AggregatorTests.Board(config, 1, 2);
                var c = AggregatorTests.Board(config, 2, 3);
                var d = AggregatorTests.Board(config, 3, 4);
                foreach (var (member, id, offset, labelled, cls) in new[] { (a.Member, "board1", 0, 40, 1), (b.Member, "board2", 60, 400, 1), (c.Member, "board3", 0, 400, 0) })
                {
                    AggregatorResult s = aggregator.HandleUpdate(id, AggregatorTests.StatsOf(member, offset, labelled, cls));
                    Assert.True(s.Accepted, s.Error);
                }
                Assert.Equal(0, aggregator.StatsKernelOf("board1", "board2"));
                Assert.Equal(1024, aggregator.StatsKernelOf("board1", "board3"));
                Assert.Equal(1024, aggregator.LabelKernelOf("board1", "board2"));
                Assert.Equal(0, aggregator.LabelKernelOf("board1", "board3"));
                foreach (var (board, id, labelled) in new[] { (a, "board1", 30u), (b, "board2", 10u), (c, "board3", 20u), (d, "board4", 50u) })
                {
                    AggregatorResult r = aggregator.HandleUpdate(id, AggregatorTests.Update(board.Member, labelled, labelled / 2));
                    Assert.True(r.Accepted, r.Error);
                }
                return log.ToString();
            }
            Assert.Contains("for board1: 1 boards, 30 weighted labelled samples", Merges(0, 0));
            string inputsOnly = Merges(40, 0);
            Assert.Contains("for board1: 2 boards, 35 weighted labelled samples", inputsOnly);   // 30 + 10·512/1024 + 20·0 + 50·0
            // The whole-kernel relaxation raises every kernel, board3's (labels apart) and board4's (no statistics) too.
            Assert.Contains("for board1: 4 boards, 70 weighted labelled samples", Merges(0, 40)); // 30 + (10 + 20 + 50)·512/1024
            Assert.Contains("for board2: 2 boards, 12 weighted labelled samples", inputsOnly);   // 10 + 30·93/1024; board3: labels differ
            Assert.Contains("for board2: 1 boards, 10 weighted labelled samples", Merges(0, 0));
        }
    }
}
