using System;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

namespace TinTin.Fleet.Tests
{
    public class AggregatorTests
    {
        internal static ParameterSet Version0(Network n) { var s = new ParameterSet(n); s.CopyFrom(n); return s; }

        /// <summary>A board (network + member) of the demo fleet, trained a little.</summary>
        internal static (Network Network, FleetMember Member) Board(FleetConfig config, int index, int seed)
        {
            Network n = FleetNets.Create();
            var member = new FleetMember(n, config.Boards[index].Key, config.FleetKey, config.MaxMessageBytes, 64);
            FleetNets.Train(n, seed, 8);
            return (n, member);
        }

        /// <summary>The member's update message (what a board publishes) with these counters.</summary>
        internal static byte[] Update(FleetMember m, uint labelled, uint correct)
        {
            int length = m.WriteUpdate(labelled, correct);
            return m.UpdateBuffer.AsSpan(0, length).ToArray();
        }

        /// <summary>
        /// A statistics message after 500 stand-in inputs (feature i of sample k = offset + i + k mod 5, so boards `offset`
        /// units apart differ by that much in every feature) and `labelled` samples of class `cls`.
        /// </summary>
        internal static byte[] StatsOf(FleetMember m, int offset, int labelled, int cls)
        {
            var x = new sbyte[6];
            for (int k = 0; k < 500; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)(offset + i + k % 5);
                m.ObserveInput(x);
            }
            m.CountLabels(cls, labelled);
            int length = m.WriteStats(-6, 0);
            return m.StatsBuffer.AsSpan(0, length).ToArray();
        }

        [Fact]
        public void MergesAfterEveryBoardReportedAndTheBoardsVerifyTheResult()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var b = Board(config, 1, 2);
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 2);
            AggregatorResult first = aggregator.HandleUpdate("board1", Update(a.Member, 30, 20));
            Assert.True(first.Accepted, first.Error);
            Assert.Null(first.Merged);
            AggregatorResult second = aggregator.HandleUpdate("board2", Update(b.Member, 10, 5));
            Assert.True(second.Accepted, second.Error);
            Assert.NotNull(second.Merged);
            Assert.Equal(1u, second.Version);
            Assert.True(a.Member.Receive(second.Merged, second.Merged.Length), a.Member.LastError);
            Assert.True(b.Member.Receive(second.Merged, second.Merged.Length), b.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            // The next update is relative to version 1, which the aggregator knows.
            AggregatorResult third = aggregator.HandleUpdate("board1", Update(a.Member, 31, 21));
            Assert.True(third.Accepted, third.Error);
            Assert.Equal(1u, aggregator.Boards["board1"].Latest.BaseVersion);
        }

        [Fact]
        public void RefusesUnknownBoardsForeignKeysReplaysAndUnknownBaseVersions()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var b = Board(config, 1, 2);
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            byte[] update = Update(a.Member, 30, 20);

            Assert.Contains("unknown board", aggregator.HandleUpdate("intruder", update).Error);
            // board1's bytes on board2's topic: board2's key does not verify them.
            Assert.Contains("HMAC", aggregator.HandleUpdate("board2", update).Error);
            Assert.True(aggregator.HandleUpdate("board1", update).Accepted);
            Assert.Contains("replayed", aggregator.HandleUpdate("board1", update).Error);
            // A base version the aggregator never published (a board that took a forged model would claim one).
            var tricked = Board(config, 1, 3);
            tricked.Member.ResetBaseline(7);
            Assert.Contains("never published", aggregator.HandleUpdate("board2", Update(tricked.Member, 5, 5)).Error);
            var truncated = Update(b.Member, 9, 9);
            Assert.False(aggregator.HandleUpdate("board2", truncated[..(truncated.Length - 1)]).Accepted);
            Assert.False(aggregator.HandleUpdate("board2", new byte[config.MaxMessageBytes + 1]).Accepted);
            Assert.False(aggregator.HandleUpdate("board2", null).Accepted);
            Assert.Equal(1, aggregator.Boards["board1"].Updates);
            Assert.Equal(0, aggregator.Boards["board2"].Updates);
            Assert.Equal(0u, aggregator.Version);
        }

        [Fact]
        public void BoardsWithoutLabelsDoNotMoveTheModelAndNoMergeHappensWithoutLabels()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = Board(config, 0, 1);
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            Assert.True(aggregator.HandleUpdate("board1", Update(a.Member, 0, 0)).Accepted);
            Assert.Null(aggregator.MergeNow());
        }

        [Fact]
        public void ConfigRejectsMalformedFleetsWithAClearMessage()
        {
            FleetConfig config = FleetConfig.Demo(2);
            config.Boards[1].Id = "board1";
            Assert.Contains("twice", Assert.Throws<System.IO.InvalidDataException>(() => config.Validate()).Message);
            config = FleetConfig.Demo(2);
            config.Boards[0].KeyHex = "abcd";
            Assert.Contains("16 bytes", Assert.Throws<System.IO.InvalidDataException>(() => config.Validate()).Message);
            config = FleetConfig.Demo(2);
            config.Fleet = "a/b";
            Assert.Throws<System.IO.InvalidDataException>(() => config.Validate());
            // More boards than one merge takes: refused at start, not by every merge later.
            config = FleetConfig.Demo(ModelMerger.MaxContributionsPerChannel + 1);
            Assert.Contains("2049 boards, but one fleet merges at most 2048", Assert.Throws<System.IO.InvalidDataException>(() => config.Validate()).Message);
            FleetConfig.Demo(ModelMerger.MaxContributionsPerChannel).Validate();
            string path = System.IO.Path.GetTempFileName();
            System.IO.File.WriteAllText(path, "{ not json");
            Assert.Contains("not valid JSON", Assert.Throws<System.IO.InvalidDataException>(() => FleetConfig.Load(path)).Message);
            FleetConfig.Demo(3).Save(path);
            Assert.Equal(3, FleetConfig.Load(path).Boards.Count);
            System.IO.File.Delete(path);
        }
    }
}
