using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.FleetHost;
using TinTin.Reference;
using TinTin.VirtualBoard;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// Issue 15: an aggregator that lost its state (no state file: a new host, the file deleted) hears boards whose bases are
    /// above its counter. Before, every update on such a base was refused (unknown_base, even with every channel) and every
    /// board refused its models until its versions climbed past the highest each had verified: the fleet stood still for as
    /// many merges as the old aggregator had published, and nothing told the operator. Now an authentic, fresh message (the
    /// board's HMAC, a sequence above its last accepted) moves the counter past its base + the margin, within
    /// FleetAggregator.MaxRecoveredVersions of where the aggregator started, with one log line, saved in the state file.
    /// </summary>
    public sealed class LostStateTests : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-lost-state-").FullName;
        private readonly FleetConfig config = FleetConfig.Demo(2);

        public void Dispose() { try { Directory.Delete(dir, true); } catch (IOException) { } }

        private FleetAggregator Start(string name, int mergeEvery, TextWriter log = null)
        {
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), mergeEvery, log);
            aggregator.UseStateFile(Path.Combine(dir, name));
            return aggregator;
        }

        private (Network Network, FleetMember Member) Named(int index, int seed)
        {
            var board = Board(config, index, seed);
            board.Member.BoardId = config.Boards[index].Id;
            return board;
        }

        /// <summary>Changes one master weight of the first layer's channel `channel`: the next update leaves the other channels out.</summary>
        private static void Nudge(Network network, int channel)
        {
            ParameterLayer p = network.Layers.OfType<ParameterLayer>().First();
            int at = channel * p.RowLength;
            p.MasterWeights[at] = (short)(p.MasterWeights[at] > 0 ? p.MasterWeights[at] - 1 : p.MasterWeights[at] + 1);
        }

        private static int AllChannels(FleetMember m) => m.Shape.Channels.Take(m.Shape.LayerCount).Sum();

        private static void Take(FleetMember member, byte[] merged)
        {
            Assert.True(member.Receive(merged, merged.Length), member.LastError);
            Assert.True(member.ApplyStaged());
        }

        /// <summary>The first aggregator (with its state file) merges `merges` times; both boards take every model.</summary>
        private ((Network Network, FleetMember Member) A, (Network Network, FleetMember Member) B) RunFirstAggregator(int merges)
        {
            var a = Named(0, 1);
            var b = Named(1, 2);
            FleetAggregator first = Start("first.state", 2);
            for (int m = 0; m < merges; m++)
            {
                FleetNets.Train(a.Network, 10 + m, 2);
                FleetNets.Train(b.Network, 20 + m, 2);
                Assert.True(first.HandleUpdate("board1", Update(a.Member, (uint)(30 + m), 20)).Accepted);
                AggregatorResult r = first.HandleUpdate("board2", Update(b.Member, (uint)(10 + m), 5));
                Assert.True(r.Accepted, r.Error);
                Take(a.Member, r.Merged);
                Take(b.Member, r.Merged);
            }
            Assert.Equal((uint)merges, first.Version);
            Assert.Equal((uint)merges, a.Member.BaseVersion);
            Assert.Equal((uint)merges, b.Member.HighestVersion);
            return (a, b);
        }

        [Fact]
        public void ANewAggregatorWithoutTheStateFileMovesPastTheBoardsBasesAndTheFleetRecovers()
        {
            var (a, b) = RunFirstAggregator(5);
            var log = new StringWriter();
            FleetAggregator fresh = Start("lost.state", 2, log); // the state file is gone: a new host
            Assert.Equal(0u, fresh.Version);
            Assert.Contains("no such file, starting fresh at version 0", log.ToString());

            // board1's sparse update on v5: refused as unknown_base, but the counter moves past v5 (and is saved at once).
            Nudge(a.Network, 0);
            Assert.False(a.Member.SendsEveryChannel);
            byte[] sparse = Update(a.Member, 50, 35);
            AggregatorResult refused = fresh.HandleUpdate("board1", sparse);
            Assert.False(refused.Accepted);
            Assert.Equal(FleetMessage.ReceiptUnknownBase, refused.Outcome);
            uint moved = 5 + (uint)fresh.RecoveryMarginVersions;
            Assert.Equal(moved, fresh.Version);
            Assert.Equal(1, fresh.VersionMoves);
            Assert.Contains($"state lost or reset: version moved from 0 to {moved} past board board1's base v5 (update seq {a.Member.UpdateSequence})", log.ToString());
            Assert.Contains("from before this aggregator lost its state", refused.Error);
            var reread = new FleetAggregator(config, Version0(FleetNets.Create()), 2);
            reread.UseStateFile(Path.Combine(dir, "lost.state"));
            Assert.Equal(moved, reread.Version);

            // The board reads the receipt and sends every channel; that update is accepted on its old base.
            Assert.True(a.Member.ReceiveReceipt(refused.Receipt, refused.Receipt.Length), a.Member.LastError);
            Assert.True(a.Member.BaseRefused);
            byte[] full = Update(a.Member, 51, 36);
            AggregatorResult accepted = fresh.HandleUpdate("board1", full);
            Assert.True(accepted.Accepted, accepted.Error);
            Assert.Equal(AllChannels(a.Member), fresh.Boards["board1"].Latest.ChannelsSent);

            // board2 the same way, without moving the counter again (its base is below it).
            Nudge(b.Network, 1);
            AggregatorResult refused2 = fresh.HandleUpdate("board2", Update(b.Member, 20, 9));
            Assert.Equal(FleetMessage.ReceiptUnknownBase, refused2.Outcome);
            Assert.Equal(1, fresh.VersionMoves);
            Assert.True(b.Member.ReceiveReceipt(refused2.Receipt, refused2.Receipt.Length), b.Member.LastError);
            AggregatorResult merged = fresh.HandleUpdate("board2", Update(b.Member, 21, 10));
            Assert.True(merged.Accepted, merged.Error);
            Assert.NotNull(merged.Merged);
            Assert.Equal(moved + 1, merged.Version);

            // Both boards take the new aggregator's model (before: "not newer than version 5"), and their next sparse
            // updates on it are accepted: the fleet goes on.
            Take(a.Member, merged.Merged);
            Take(b.Member, merged.Merged);
            Assert.False(a.Member.SendsEveryChannel);
            Nudge(a.Network, 2);
            Nudge(b.Network, 3);
            AggregatorResult next1 = fresh.HandleUpdate("board1", Update(a.Member, 60, 40));
            Assert.True(next1.Accepted, next1.Error);
            Assert.True(fresh.Boards["board1"].Latest.ChannelsSent < AllChannels(a.Member));
            AggregatorResult next2 = fresh.HandleUpdate("board2", Update(b.Member, 30, 15));
            Assert.True(next2.Accepted, next2.Error);
            Take(a.Member, next2.Merged);
            Assert.Equal(moved + 2, a.Member.BaseVersion);
            Assert.Single(log.ToString().Split('\n'), l => l.Contains("state lost or reset"));
        }

        /// <summary>The statistics carry the base too: they move the counter before the board's next update.</summary>
        [Fact]
        public void AuthenticStatisticsOnABaseAboveTheCounterMoveItAndAreAccepted()
        {
            var (a, _) = RunFirstAggregator(3);
            FleetAggregator fresh = Start("lost.state", 2);
            AggregatorResult stats = fresh.HandleUpdate("board1", StatsOf(a.Member, 0, 4, 1));
            Assert.True(stats.Accepted, stats.Error);
            Assert.Equal(3 + (uint)fresh.RecoveryMarginVersions, fresh.Version);
        }

        [Fact]
        public void AForgedUpdateOrStatisticsWithAHugeBaseDoesNotMoveTheCounter()
        {
            var (a, _) = RunFirstAggregator(2);
            FleetAggregator fresh = Start("lost.state", 2);
            // Another key on board1's topic.
            var forger = new FleetMember(FleetNets.Create(), FleetNets.BoardKey, config.FleetKey, config.MaxMessageBytes, 64);
            forger.ResetBaseline(4_000_000_000u);
            AggregatorResult r = fresh.HandleUpdate("board1", Update(forger, 5, 5));
            Assert.Equal(FleetMessage.ReceiptBadTag, r.Outcome);
            Assert.False(fresh.HandleUpdate("board1", StatsOf(forger, 0, 4, 1)).Accepted);
            // board1's own update with its base rewritten: the HMAC fails.
            byte[] update = Update(a.Member, 50, 35);
            byte[] rewritten = (byte[])update.Clone();
            BitConverter.TryWriteBytes(rewritten.AsSpan(8), 4_000_000_000u);
            Assert.False(fresh.HandleUpdate("board1", rewritten).Accepted);
            Assert.Equal(0u, fresh.Version);
            Assert.Equal(0, fresh.VersionMoves);
            Assert.False(fresh.Boards["board1"].HasUpdate);
        }

        [Fact]
        public void AReplayedAuthenticUpdateOrStatisticsDoesNotMoveTheCounter()
        {
            var (a, _) = RunFirstAggregator(4);
            byte[] oldUpdate = Update(a.Member, 50, 35); // on v4, never delivered
            byte[] oldStats = StatsOf(a.Member, 0, 4, 1);
            a.Member.ResetBaseline(0); // a reset: base 0, later sequence numbers
            FleetAggregator fresh = Start("lost.state", 0);
            Assert.True(fresh.HandleUpdate("board1", Update(a.Member, 5, 3)).Accepted);
            Assert.True(fresh.HandleUpdate("board1", StatsOf(a.Member, 0, 4, 1)).Accepted);
            AggregatorResult replayed = fresh.HandleUpdate("board1", oldUpdate);
            Assert.Equal(FleetMessage.ReceiptReplayed, replayed.Outcome);
            Assert.Equal(FleetMessage.ReceiptReplayed, fresh.HandleUpdate("board1", oldStats).Outcome);
            Assert.Equal(0u, fresh.Version);
            Assert.Equal(0, fresh.VersionMoves);
        }

        /// <summary>
        /// A board whose key leaked sends a base near 2^32: the counter moves at most MaxRecoveredVersions above where the
        /// aggregator started, the refusal says why, and the aggregator still merges above it.
        /// </summary>
        [Fact]
        public void TheCounterMovesAtMostMaxRecoveredVersionsAStart()
        {
            var log = new StringWriter();
            FleetAggregator fresh = Start("lost.state", 0, log);
            var rogue = Named(0, 1);
            rogue.Member.ResetBaseline(uint.MaxValue - 5);
            AggregatorResult far = fresh.HandleUpdate("board1", Update(rogue.Member, 5, 5));
            Assert.Equal(FleetMessage.ReceiptUnknownBase, far.Outcome);
            Assert.Contains($"more than {FleetAggregator.MaxRecoveredVersions} versions above v0", far.Error);
            Assert.Equal(0u, fresh.Version);

            rogue.Member.ResetBaseline(FleetAggregator.MaxRecoveredVersions - 1); // just under the ceiling: moved to it, not past
            AggregatorResult near = fresh.HandleUpdate("board1", Update(rogue.Member, 6, 5));
            Assert.True(near.Accepted, near.Error);
            Assert.Equal(FleetAggregator.MaxRecoveredVersions, fresh.Version);
            rogue.Member.ResetBaseline(FleetAggregator.MaxRecoveredVersions + 10);
            Assert.Equal(FleetMessage.ReceiptUnknownBase, fresh.HandleUpdate("board1", Update(rogue.Member, 7, 5)).Outcome);
            Assert.Equal(FleetAggregator.MaxRecoveredVersions, fresh.Version);
            Assert.Equal(1, fresh.VersionMoves);
            var b = Named(1, 2);
            Assert.True(fresh.HandleUpdate("board2", Update(b.Member, 10, 5)).Accepted);
            Assert.NotNull(fresh.MergeNow());
            Assert.Equal(FleetAggregator.MaxRecoveredVersions + 1, fresh.Version);
        }

        /// <summary>An aggregator in memory (no state file: tests, `fleet simulate`) stays strict: any base it never published is refused.</summary>
        [Fact]
        public void AnAggregatorInMemoryStillRefusesABaseItNeverPublished()
        {
            var (a, _) = RunFirstAggregator(2);
            var strict = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            a.Member.ResetBaseline(2);
            AggregatorResult r = strict.HandleUpdate("board1", Update(a.Member, 50, 35));
            Assert.Equal(FleetMessage.ReceiptUnknownBase, r.Outcome);
            Assert.Equal(0u, strict.Version);
        }
    }
}
