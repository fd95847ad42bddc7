using System;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>The similarity-weighted merge host experiment (FleetAggregator.Similarity, docs/experiments/fleet.md).</summary>
    public class SimilarityMergeTests
    {
        private static ParameterSet Read(FleetConfig config, byte[] merged)
        {
            var reader = new FleetMessageReader(config.MaxMessageBytes);
            var set = new ParameterSet(FleetNets.Create());
            Assert.True(reader.ReadMerged(merged, merged.Length, new HmacSha256(config.FleetKey), set), reader.Error);
            return set;
        }

        private static (FleetAggregator Aggregator, AggregatorResult Result, FleetConfig Config, Network[] Boards) Run(Func<string, string, int> similarity, int ownShareSkip = 0)
        {
            FleetConfig config = FleetConfig.Demo(3);
            var boards = new (Network Network, FleetMember Member)[3];
            for (int i = 0; i < 3; i++) boards[i] = AggregatorTests.Board(config, i, i + 1);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 3) { Similarity = similarity, OwnShareSkipPerMille = ownShareSkip };
            AggregatorResult last = null;
            uint[] labelled = { 300, 40, 7 };
            for (int i = 0; i < 3; i++) last = aggregator.HandleUpdate(config.Boards[i].Id, Update(boards[i].Member, labelled[i], labelled[i] / 2));
            return (aggregator, last, config, new[] { boards[0].Network, boards[1].Network, boards[2].Network });
        }

        private static void AssertSame(ParameterSet a, ParameterSet b)
        {
            for (int l = 0; l < a.LayerCount; l++)
            {
                Assert.Equal(a.Master[l], b.Master[l]);
                Assert.Equal(a.Bias[l], b.Bias[l]);
                Assert.Equal(a.MasterExponent[l], b.MasterExponent[l]);
            }
        }

        [Fact]
        public void AKernelOfOneEverywhereGivesEveryBoardThePlainMergeUnderItsOwnRisingVersion()
        {
            var plain = Run(null);
            Assert.NotNull(plain.Result.Merged);
            ParameterSet expected = Read(plain.Config, plain.Result.Merged);
            var similar = Run((r, c) => 1024);
            Assert.Null(similar.Result.Merged);
            Assert.Equal(3, similar.Result.PerBoard.Count);
            var seen = new System.Collections.Generic.HashSet<uint>();
            foreach (FleetBoard b in similar.Config.Boards)
            {
                byte[] message = similar.Result.PerBoard[b.Id];
                AssertSame(expected, Read(similar.Config, message));
                var member = new FleetMember(FleetNets.Create(), b.Key, similar.Config.FleetKey, similar.Config.MaxMessageBytes, 64) { BoardId = b.Id };
                Assert.True(member.Receive(message, message.Length), member.LastError);
                Assert.True(seen.Add(member.StagedVersion));
                Assert.False(member.Receive(message, message.Length)); // the same version again: a replay
            }
            Assert.Equal(1, similar.Aggregator.Merges);
            Assert.Equal(3u, similar.Aggregator.Version);
        }

        [Fact]
        public void AKernelOfZeroBetweenBoardsGivesEachBoardItsOwnModelBack()
        {
            var isolated = Run((r, c) => r == c ? 1024 : 0);
            for (int i = 0; i < 3; i++)
            {
                ParameterSet own = Read(isolated.Config, isolated.Result.PerBoard[isolated.Config.Boards[i].Id]);
                for (int l = 0; l < own.LayerCount; l++)
                    Assert.Equal(FleetNets.RealWeights(isolated.Boards[i], l), FleetNets.RealWeights(FleetNets.Create().Also(n => own.CopyTo(n)), l));
            }
        }

        [Fact]
        public void ExplicitWeightsEqualToTheLabelsGiveTheLabelWeightedMergeAndZeroLeavesABoardOut()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            var shape = AggregatorTests.Version0(FleetNets.Create());
            var reader = new FleetMessageReader(config.MaxMessageBytes);
            var ua = new FleetUpdate(shape);
            var ub = new FleetUpdate(shape);
            byte[] ma = Update(a.Member, 30, 10), mb = Update(b.Member, 50, 10);
            Assert.True(reader.ReadUpdate(ma, ma.Length, new HmacSha256(config.Boards[0].Key), ua));
            Assert.True(reader.ReadUpdate(mb, mb.Length, new HmacSha256(config.Boards[1].Key), ub));
            var updates = new[] { ua, ub };
            var bases = new[] { shape, shape };
            var byLabels = new ParameterSet(shape.Channels, shape.RowLength);
            var explicitWeights = new ParameterSet(shape.Channels, shape.RowLength);
            Assert.Equal(2, FleetUpdate.Merge(new ModelMerger(shape), updates, bases, 2, byLabels));
            Assert.Equal(2, FleetUpdate.Merge(new ModelMerger(shape), updates, bases, new[] { 30, 50 }, 2, explicitWeights));
            AssertSame(byLabels, explicitWeights);
            var onlyA = new ParameterSet(shape.Channels, shape.RowLength);
            Assert.Equal(1, FleetUpdate.Merge(new ModelMerger(shape), updates, bases, new[] { 30, 0 }, 2, onlyA));
            for (int l = 0; l < onlyA.LayerCount; l++)
                Assert.Equal(FleetNets.RealWeights(a.Network, l), FleetNets.RealWeights(FleetNets.Create().Also(n => onlyA.CopyTo(n)), l));
        }

        [Fact]
        public void AMergeMadeMostlyOfTheBoardsOwnUpdateIsNotSentToIt()
        {
            // Labels 300, 40, 7, every kernel 1: board1's merge is 300/347 = 864 per mille its own update.
            var skipped = Run((r, c) => 1024, ownShareSkip: 750);
            Assert.Equal(new[] { "board2", "board3" }, skipped.Result.PerBoard.Keys.OrderBy(k => k).ToArray());
            Assert.Equal(1, skipped.Aggregator.Boards["board1"].HeldBack);
            Assert.Equal(0, skipped.Aggregator.ModelsFor("board1"));
            var plain = Run((r, c) => 1024);
            AssertSame(Read(plain.Config, plain.Result.PerBoard["board2"]), Read(skipped.Config, skipped.Result.PerBoard["board2"]));
            // At 900 per mille board1 (864) gets its merge too.
            Assert.Equal(3, Run((r, c) => 1024, ownShareSkip: 900).Result.PerBoard.Count);
            // Kernel 0 between boards: every merge is the board's own update alone, so nobody gets one.
            Assert.Null(Run((r, c) => r == c ? 1024 : 0, ownShareSkip: 750).Result.PerBoard);
        }

        [Fact]
        public void TheLabelPriorKernelShrinksAFewPressesTowardsTheFleetAndSeparatesUnlikeRooms()
        {
            // 40 presses, none occupied (a room never occupied), against a fleet at 250 per mille: 8 pseudo-presses give 41.
            Assert.Equal(41, LabelPriorKernel.SharePerMille(0, 40, 250, 8));
            // One press "unoccupied" says little: the share stays near the fleet's.
            Assert.Equal(222, LabelPriorKernel.SharePerMille(0, 1, 250, 8));
            Assert.Equal(250, LabelPriorKernel.SharePerMille(0, 0, 250, 8));
            Assert.Equal(300, LabelPriorKernel.SharePerMille(30, 100, 300, 0));
            Assert.Equal(1024, LabelPriorKernel.Of(250, 250, 150));
            Assert.Equal(512, LabelPriorKernel.Of(250, 325, 150));
            Assert.Equal(512, LabelPriorKernel.Of(325, 250, 150));
            Assert.Equal(0, LabelPriorKernel.Of(41, 250, 150));
            Assert.Equal(310, LabelPriorKernel.Of(41, 250, 300));
            Assert.Throws<ArgumentException>(() => LabelPriorKernel.SharePerMille(5, 4, 250, 8));
            Assert.Throws<ArgumentException>(() => LabelPriorKernel.Of(1, 2, 0));
        }
    }
}
