using System;
using System.IO;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The label-only receiver relaxation (FleetAggregator.ReceiverRelaxLabelSamples, `--receiver-relax-labels R`,
    /// docs/experiments/fleet.md session 10): a receiver with n labelled samples takes every other board at
    /// k_input × (kl + (1024 − kl)·R/(R + n)) / 1024. The input kernel is kept: a board it separates stays separated under
    /// any R; a board only the label kernel separates is taken more the fewer labels the receiver has.
    /// </summary>
    public sealed class ReceiverRelaxLabelsTests
    {
        [Fact]
        public void TheInputKernelBoundsTheRelaxedKernelAndTheLabelKernelIsRelaxedByRtoRPlusN()
        {
            foreach (int r in new[] { 1, 64, 256, 1024, 1000000 })
                foreach (long n in new long[] { 0, 10, 250, 4000 })
                    foreach (int label in new[] { 0, 300, 1024 })
                    {
                        Assert.Equal(0, FleetAggregator.LabelRelaxedKernel(0, label, r, n));                      // separated by the inputs: stays so
                        Assert.True(FleetAggregator.LabelRelaxedKernel(600, label, r, n) <= 600);                // never above the input kernel
                        Assert.True(FleetAggregator.LabelRelaxedKernel(600, label, r, n) >= 600 * label / 1024); // never below the unrelaxed product
                    }
            Assert.Equal(512, FleetAggregator.LabelRelaxedKernel(1024, 0, 64, 64));    // alike inputs, label kernel 0: halfway at n = R
            Assert.Equal(1024, FleetAggregator.LabelRelaxedKernel(1024, 0, 64, 0));    // no labels yet: the label kernel does not count
            Assert.Equal(256, FleetAggregator.LabelRelaxedKernel(512, 0, 64, 64));     // half the input kernel times halfway
            Assert.Equal(600 * 300 / 1024, FleetAggregator.LabelRelaxedKernel(600, 300, 0, 10));   // R 0: the plain product
            Assert.Equal(1024 * (0 + 1024 * 256 / 498) / 1024, FleetAggregator.LabelRelaxedKernel(1024, 0, 256, 242));
            Assert.True(FleetAggregator.LabelRelaxedKernel(800, 100, 256, 70) > FleetAggregator.LabelRelaxedKernel(800, 100, 256, 4000));
            Assert.Throws<ArgumentException>(() => FleetAggregator.LabelRelaxedKernel(1025, 0, 64, 1));
            Assert.Throws<ArgumentException>(() => FleetAggregator.LabelRelaxedKernel(-1, 0, 64, 1));
            Assert.Throws<ArgumentException>(() => FleetAggregator.LabelRelaxedKernel(512, 1025, 64, 1));
            Assert.Null(FleetAggregator.ReceiverRelaxLabelsProblem(0, 64, 0));
            Assert.Null(FleetAggregator.ReceiverRelaxLabelsProblem(64, 0, 300));
            Assert.Contains("must be in 0..1000000", FleetAggregator.ReceiverRelaxLabelsProblem(-1, 0, 300));
            Assert.Contains("not both", FleetAggregator.ReceiverRelaxLabelsProblem(64, 64, 300));
            Assert.Contains("needs --label-kernel-width", FleetAggregator.ReceiverRelaxLabelsProblem(64, 0, 0));
        }

        /// <summary>
        /// Three boards, W 78 × label kernel P 300: board1 (40 labels, all class 0) and board2 (400, all class 1) have alike
        /// inputs, so only the label kernel separates them; board3 (400, class 1) has inputs 60 units a feature away, so the
        /// input kernel separates it from both. Label-only relaxation R 40: board1 takes board2 at 512/1024 and board3 at 0;
        /// the whole-kernel relaxation (session 9) would give board1 board3 at 512 as well.
        /// </summary>
        [Fact]
        public void AFewLabelBoardTakesTheBoardOnlyTheLabelKernelSeparatesButNotTheOneTheInputsSeparate()
        {
            string Merges(int relaxLabels, int relaxAll)
            {
                FleetConfig config = FleetConfig.Demo(3);
                var log = new StringWriter();
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 3, log)
                    { SimilarityWidth = 78, LabelKernelWidth = 300, ReceiverRelaxLabelSamples = relaxLabels, ReceiverRelaxSamples = relaxAll };
                var a = AggregatorTests.Board(config, 0, 1);
                var b = AggregatorTests.Board(config, 1, 2);
                var c = AggregatorTests.Board(config, 2, 3);
                foreach (var (member, id, offset, labelled, cls) in new[] { (a.Member, "board1", 0, 40, 0), (b.Member, "board2", 0, 400, 1), (c.Member, "board3", 60, 400, 1) })
                {
                    AggregatorResult s = aggregator.HandleUpdate(id, AggregatorTests.StatsOf(member, offset, labelled, cls));
                    Assert.True(s.Accepted, s.Error);
                }
                Assert.Equal(1024, aggregator.StatsKernelOf("board1", "board2"));
                Assert.Equal(0, aggregator.StatsKernelOf("board1", "board3"));
                Assert.Equal(0, aggregator.LabelKernelOf("board1", "board2"));
                Assert.Equal(0, aggregator.LabelKernelOf("board1", "board3"));
                foreach (var (board, id, labelled) in new[] { (a, "board1", 30u), (b, "board2", 10u), (c, "board3", 20u) })
                {
                    AggregatorResult r = aggregator.HandleUpdate(id, AggregatorTests.Update(board.Member, labelled, labelled / 2));
                    Assert.True(r.Accepted, r.Error);
                }
                return log.ToString();
            }
            Assert.Contains("for board1: 1 boards, 30 weighted labelled samples", Merges(0, 0));
            string labelsOnly = Merges(40, 0);
            Assert.Contains("for board1: 2 boards, 35 weighted labelled samples", labelsOnly);  // 30 + 10·512/1024 + 20·0
            Assert.Contains("for board1: 3 boards, 45 weighted labelled samples", Merges(0, 40)); // 30 + 10·512/1024 + 20·512/1024
            // board2 (400 labels) takes board1 at 1024·40/440 = 93 (30·93/1024 = 2) and board3 not at all (inputs apart).
            Assert.Contains("for board2: 2 boards, 12 weighted labelled samples", labelsOnly);
        }

        /// <summary>--trace-kernels: one merge is a run of one receiver's contributors; means per (receiver, contributor) and weight shares per mille.</summary>
        [Fact]
        public void KernelSummaryAveragesEachPairOverTheMergesAndSharesTheirWeights()
        {
            var traces = new System.Collections.Generic.List<KernelTrace>
            {
                new("b1", "b1", 1024, 1024, 1024, 30), new("b1", "b2", 1024, 512, 512, 10),      // b1's first merge: 30 / 40, 10 / 40
                new("b2", "b1", 0, 1024, 0, 0), new("b2", "b2", 1024, 1024, 1024, 20),            // b2's merge
                new("b1", "b1", 1024, 1024, 1024, 10), new("b1", "b2", 512, 256, 128, 10),        // b1's second merge: 500, 500
            };
            var summary = KernelSummary.Of(traces);
            Assert.Equal(4, summary.Count);
            KernelSummary b1b2 = summary.Find(k => k.Receiver == "b1" && k.Contributor == "b2");
            Assert.Equal(2, b1b2.Merges);
            Assert.Equal(768, b1b2.Input);
            Assert.Equal(384, b1b2.Label);
            Assert.Equal(320, b1b2.Kernel);
            Assert.Equal((250 + 500) / 2.0, b1b2.WeightShare);
            KernelSummary b2b1 = summary.Find(k => k.Receiver == "b2" && k.Contributor == "b1");
            Assert.Equal(1, b2b1.Merges);
            Assert.Equal(0, b2b1.WeightShare);
            Assert.Equal(1000, summary.Find(k => k.Receiver == "b2" && k.Contributor == "b2").WeightShare);
        }
    }
}
