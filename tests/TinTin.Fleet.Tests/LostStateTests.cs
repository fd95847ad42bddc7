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

        /// <summary>
        /// The firmware (FleetLink) end to end: a board that took v1 from an aggregator, then a new aggregator without the
        /// state file. The board's first update and statistics move its counter past v1; the sparse update's receipt is one
        /// `err code=fleet reason=unknown_base` line, the next update carries every channel and is accepted, and the board
        /// takes the new aggregator's model (before: refused as "not newer than version 1", and every update refused).
        /// </summary>
        [Fact]
        public void AFirmwareBoardTakesTheModelOfAnAggregatorThatLostItsState()
        {
            FleetConfig fleet = FleetConfig.Demo(2);
            var t = new FakeTransport();
            using VirtualFleetBoard b = ReceiptBoardTests.Board(t); // board1 of FleetConfig.Demo(2), as `fleet`
            FleetAggregator first = FirmwareFleetTests.DefaultAggregator();
            first.UseStateFile(Path.Combine(dir, "first.state"));
            b.App.HandleLine("fleet join");
            FirmwareFleetTests.LearnAndPublish(b);
            int delivered = 0;
            Assert.All(ReceiptBoardTests.Exchange(t, first, ref delivered), r => Assert.True(r.Accepted, r.Error));
            t.Incoming.Clear();
            t.Incoming.Enqueue(first.MergeNow());
            b.Step();
            Assert.Equal(1u, b.Member.BaseVersion);
            FirmwareFleetTests.LearnAndPublish(b);
            Assert.All(ReceiptBoardTests.Exchange(t, first, ref delivered), r => Assert.True(r.Accepted, r.Error));
            t.Incoming.Clear();

            var log = new StringWriter();
            var logged = new FleetAggregator(fleet, FirmwareFleetTests.DefaultAggregator().ModelOf(0), 0, log); // a new host: no state file
            logged.UseStateFile(Path.Combine(dir, "lost.state"));
            FirmwareFleetTests.LearnAndPublish(b);
            Assert.False(b.Member.SendsEveryChannel);
            List<AggregatorResult> results = ReceiptBoardTests.Exchange(t, logged, ref delivered);
            Assert.Contains(results, r => !r.Stats && r.Outcome == FleetMessage.ReceiptUnknownBase);
            Assert.Equal(1u + (uint)logged.RecoveryMarginVersions, logged.Version);
            Assert.Contains("state lost or reset: version moved from 0 to " + logged.Version + " past board board1's base v1", log.ToString());
            int lines = b.SerialLines.Count;
            b.Step(); // the safe point reads the receipts
            ProtocolMessage err = BaseRowsCheckpointTests.Lines(b, lines, "err").Single(m => m.Get("reason") == "unknown_base");
            Assert.Equal("update", err.Get("kind"));
            Assert.Equal(logged.Version.ToString(), err.Get("agg_v"));
            Assert.True(b.Member.SendsEveryChannel);

            FirmwareFleetTests.LearnAndPublish(b);
            List<AggregatorResult> after = ReceiptBoardTests.Exchange(t, logged, ref delivered);
            Assert.Contains(after, r => !r.Stats);
            Assert.All(after, r => Assert.True(r.Accepted, r.Error));
            byte[] model = logged.MergeNow();
            Assert.NotNull(model);
            t.Incoming.Clear();
            t.Incoming.Enqueue(model);
            lines = b.SerialLines.Count;
            b.Step();
            Assert.Empty(BaseRowsCheckpointTests.Lines(b, lines, "err"));
            Assert.Contains(BaseRowsCheckpointTests.Lines(b, lines, "fleet"), m => m.Get("event") == "taken");
            Assert.Equal(logged.Version, b.Member.BaseVersion);
            Assert.False(b.Member.SendsEveryChannel);
            FirmwareFleetTests.LearnAndPublish(b);
            Assert.All(ReceiptBoardTests.Exchange(t, logged, ref delivered), r => Assert.True(r.Accepted, r.Error));
        }

        /// <summary>
        /// Through the embedded broker in-process: a board on v5 and a new aggregator service without the state file. The
        /// sparse update's receipt (unknown_base) reaches the board, its update with every channel is merged into a model
        /// above v5, which the board verifies.
        /// </summary>
        [Fact]
        public void ThroughTheEmbeddedBrokerTheBoardTakesTheModelOfAnAggregatorThatLostItsState()
        {
            var (a, _) = RunFirstAggregator(5);
            FleetAggregator fresh = Start("lost.state", 1);
            EmbeddedBroker broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
            try
            {
                AggregatorService service = AggregatorService.StartAsync(broker.Uri, config, fresh).GetAwaiter().GetResult();
                using var t1 = new MqttBoardTransport(broker.Uri, config, "board1");
                Assert.True(t1.Connect(), t1.LastError);
                var inbox = new byte[FleetMessage.DefaultMaxBytes];
                Nudge(a.Network, 0);
                int length = a.Member.WriteUpdate(50, 35);
                Assert.True(t1.PublishUpdate(a.Member.UpdateBuffer, length));
                Assert.True(MqttTests.WaitFor(() => fresh.Processed >= 1 && t1.Received >= fresh.MessagesFor("board1")));
                int n = t1.TryReceive(inbox);
                Assert.Equal(FleetMessage.KindReceipt, inbox[5]);
                Assert.True(a.Member.ReceiveReceipt(inbox, n), a.Member.LastError);
                Assert.Equal(FleetMessage.ReceiptUnknownBase, a.Member.ReceiptCode);
                Assert.True(a.Member.SendsEveryChannel);

                length = a.Member.WriteUpdate(51, 36);
                Assert.True(t1.PublishUpdate(a.Member.UpdateBuffer, length));
                Assert.True(MqttTests.WaitFor(() => fresh.Processed >= 2 && t1.Received >= fresh.MessagesFor("board1")));
                bool took = false;
                while ((n = t1.TryReceive(inbox)) != 0)
                {
                    if (inbox[5] == FleetMessage.KindMerged) { Assert.True(a.Member.Receive(inbox, n), a.Member.LastError); took = true; }
                    else Assert.True(a.Member.ReceiveReceipt(inbox, n), a.Member.LastError);
                }
                Assert.True(took);
                Assert.Equal(5 + (uint)fresh.RecoveryMarginVersions + 1, a.Member.HighestVersion);
                service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            finally { broker.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }

        /// <summary>
        /// Session 13, the gap session 12 left: board2 took v1 and then verified the old aggregator's models up to v1 + margin
        /// + 10 without taking them (declined, staged, or in trial). The new aggregator moves its counter to board1's base v1
        /// + margin only, so its models are at or below what board2 verified: refused ("not newer than"). board2's own update
        /// gets a receipt whose newest version is below the highest it had verified when it wrote it: the aggregator's counter
        /// went back, the board lowers its floor to that version (once, counted) and takes the next model through the usual
        /// checks; its next sparse update on it is accepted. board1, whose highest is below the receipt's version, changes nothing.
        /// </summary>
        [Fact]
        public void ABoardThatVerifiedBeyondTheMarginLowersItsFloorOnTheNewAggregatorsReceiptAndTakesItsNextModel()
        {
            var a = Named(0, 1);
            var b = Named(1, 2);
            FleetAggregator first = Start("first.state", 2);
            Assert.True(first.HandleUpdate("board1", Update(a.Member, 30, 20)).Accepted);
            AggregatorResult r1 = first.HandleUpdate("board2", Update(b.Member, 10, 5));
            Take(a.Member, r1.Merged);
            Take(b.Member, r1.Merged);
            uint verified = 1 + (uint)first.RecoveryMarginVersions + 10;
            while (first.Version < verified)
            {
                byte[] m = first.MergeNow();
                Assert.True(b.Member.Receive(m, m.Length), b.Member.LastError); // verified, staged, never taken
            }
            Assert.Equal((1u, verified), (b.Member.BaseVersion, b.Member.HighestVersion));

            FleetAggregator fresh = Start("lost.state", 2);
            Nudge(a.Network, 0);
            AggregatorResult refusedA = fresh.HandleUpdate("board1", Update(a.Member, 50, 35));
            uint moved = 1 + (uint)fresh.RecoveryMarginVersions;
            Assert.Equal(moved, fresh.Version);
            Assert.True(a.Member.ReceiveReceipt(refusedA.Receipt, refusedA.Receipt.Length), a.Member.LastError);
            Assert.Equal((0, 1u), (a.Member.FloorsLowered, a.Member.HighestVersion)); // its receipt's version is above what it verified
            Assert.True(fresh.HandleUpdate("board1", Update(a.Member, 51, 36)).Accepted); // every channel

            // board2's base v1 is more than StaleBaseVersions behind what it verified: its update carries every channel and is
            // accepted, and it completes a merge (v`moved` + 1); the receipt, written after that model, says it is the newest.
            Nudge(b.Network, 1);
            Assert.True(b.Member.BaseMayBeGone);
            AggregatorResult answeredB = fresh.HandleUpdate("board2", Update(b.Member, 20, 9));
            Assert.True(answeredB.Accepted, answeredB.Error);
            Assert.Equal(moved + 1, answeredB.Version);
            // The model comes before the receipt: refused (before session 13 every model was, until the counter passed v`verified`).
            Assert.False(b.Member.Receive(answeredB.Merged, answeredB.Merged.Length));
            Assert.Contains($"is not newer than version {verified}", b.Member.LastError);

            Assert.True(b.Member.ReceiveReceipt(answeredB.Receipt, answeredB.Receipt.Length), b.Member.LastError);
            Assert.True(b.Member.LastReceiptLoweredFloor);
            Assert.Equal((1, verified, moved + 1), (b.Member.FloorsLowered, b.Member.FloorLoweredFrom, b.Member.HighestVersion));
            Assert.True(b.Member.ReceiveReceipt(answeredB.Receipt, answeredB.Receipt.Length)); // MQTT's second copy: nothing more
            Assert.Equal((1, moved + 1), (b.Member.FloorsLowered, b.Member.HighestVersion));
            Assert.True(b.Member.SendsEveryChannel);

            // The model that message made is at the floor now (missed); the next one is taken through the usual checks.
            byte[] next = fresh.MergeNow();
            Assert.Equal(moved + 2, fresh.Version);
            Take(b.Member, next);
            Assert.Equal((moved + 2, moved + 2), (b.Member.BaseVersion, b.Member.HighestVersion));
            Assert.False(b.Member.Receive(next, next.Length)); // the floor is a floor again: the same model replayed is refused
            Nudge(b.Network, 2);
            AggregatorResult sparse = fresh.HandleUpdate("board2", Update(b.Member, 30, 15));
            Assert.True(sparse.Accepted, sparse.Error);
            Assert.True(fresh.Boards["board2"].Latest.ChannelsSent < AllChannels(b.Member));
            Assert.True(b.Member.ReceiveReceipt(sparse.Receipt, sparse.Receipt.Length));
            Assert.Equal(1, b.Member.FloorsLowered);
        }

        /// <summary>
        /// The firmware's `fleet` status line says the floor went down after the err line that said so scrolled away:
        /// no `floors` key while none was lowered (a reader takes it as 0), `floors=1` after the new aggregator's receipt
        /// lowered it, on `fleet status` and on the other status-like events. Every line stays within the protocol's 200.
        /// </summary>
        [Fact]
        public void TheFirmwaresFleetStatusLineCountsTheLoweredFloors()
        {
            var t = new FakeTransport();
            using VirtualFleetBoard b = ReceiptBoardTests.Board(t);
            b.App.HandleLine("fleet join");
            b.Member.Resume(0, 0, 200); // verified up to v200 (a checkpoint's counters) under an aggregator since lost
            ProtocolMessage before = Status(b);
            Assert.Equal("status", before.Get("event"));
            Assert.False(before.Has("floors"));
            Assert.Equal(0, before.GetLong("floors", 0));

            FleetAggregator fresh = FirmwareFleetTests.DefaultAggregator(); // a new host: its newest version is far below v200
            FirmwareFleetTests.LearnAndPublish(b);
            int delivered = 0;
            Assert.All(ReceiptBoardTests.Exchange(t, fresh, ref delivered), r => Assert.True(r.Accepted, r.Error));
            Assert.DoesNotContain(BaseRowsCheckpointTests.Lines(b, 0, "fleet"), m => m.Has("floors"));
            int lines = b.SerialLines.Count;
            b.Step(); // the safe point reads the receipts
            Assert.Single(BaseRowsCheckpointTests.Lines(b, lines, "err"), m => m.Get("msg").StartsWith("aggregator_lost_its_state", StringComparison.Ordinal));
            Assert.Equal(1, b.Member.FloorsLowered);

            ProtocolMessage after = Status(b);
            Assert.Equal(1, after.GetLong("floors", -1));
            Assert.Equal(b.Member.BytesReceived, after.GetLong("recv_b", -1)); // the byte counts after it are still on the line
            b.App.HandleLine("fleet leave");
            Assert.Equal(("left", 1L), (BaseRowsCheckpointTests.Lines(b, 0, "fleet").Last().Get("event"), BaseRowsCheckpointTests.Lines(b, 0, "fleet").Last().GetLong("floors", -1)));
            Assert.All(b.SerialLines, l => Assert.True(l.Length <= Protocol.MaxLineChars, l));
        }

        private static ProtocolMessage Status(VirtualFleetBoard b)
        {
            int from = b.SerialLines.Count;
            b.App.HandleLine("fleet status");
            return BaseRowsCheckpointTests.Lines(b, from, "fleet").Single();
        }

        /// <summary>
        /// A fleet whose boards are all at base 0 (challenger boards never take a model) gives the new aggregator no base above
        /// its counter: the margin never applies, and before session 13 every board refused its models until v(highest + 1).
        /// The accepted update's receipt (newest v0) lowers the floor and the board verifies the new v1.
        /// </summary>
        [Fact]
        public void ABoardAtBase0ThatVerifiedModelsTakesTheNewAggregatorsFirstModel()
        {
            var b = Named(1, 2);
            FleetAggregator first = Start("first.state", 0);
            var c = Named(0, 3);
            for (int v = 0; v < 5; v++)
            {
                Assert.True(first.HandleUpdate("board2", Update(b.Member, (uint)(10 + v), 5)).Accepted);
                byte[] m = first.MergeNow();
                Assert.True(c.Member.Receive(m, m.Length), c.Member.LastError);
            }
            Assert.Equal((0u, 5u), (c.Member.BaseVersion, c.Member.HighestVersion));

            FleetAggregator fresh = Start("lost.state", 0);
            AggregatorResult accepted = fresh.HandleUpdate("board1", Update(c.Member, 8, 6));
            Assert.True(accepted.Accepted, accepted.Error);
            Assert.Equal(0u, fresh.Version); // base 0 is below the counter: nothing to move
            byte[] v1 = fresh.MergeNow();
            Assert.False(c.Member.Receive(v1, v1.Length));
            Assert.True(c.Member.ReceiveReceipt(accepted.Receipt, accepted.Receipt.Length), c.Member.LastError);
            Assert.Equal((1, 0u), (c.Member.FloorsLowered, c.Member.HighestVersion));
            Assert.True(c.Member.Receive(v1, v1.Length), c.Member.LastError);
            Assert.Equal(1u, c.Member.HighestVersion);
        }

        /// <summary>A receipt for `answered` to board1 saying the aggregator's newest version is `newest`, signed with `fleetKey`.</summary>
        private static byte[] ReceiptFor(FleetMember to, byte[] answered, uint newest, byte[] fleetKey, int outcome = FleetMessage.ReceiptAccepted)
        {
            var receipt = new byte[FleetMessage.ReceiptBytes(6)];
            FleetMessage.WriteReceipt(receipt, answered, answered.Length, outcome, 0, newest, to.Shape.Fingerprint(), FleetMessage.BoardIdBytes("board1"), new HmacSha256(fleetKey));
            return receipt;
        }

        /// <summary>
        /// What may not lower the floor: a receipt signed with another key (refused), the genuine low receipt for the board's
        /// previous message replayed after it wrote another (refused: it answers no message the board sent last), a receipt whose
        /// version is at or above the highest verified, and a stale one: a healthy aggregator's receipt read after the board
        /// verified a model published after it was written (its version was not below what the board had verified when it wrote
        /// the answered update). Only a receipt whose version is below what the board had verified then lowers it.
        /// </summary>
        [Fact]
        public void ForgedReplayedStaleOrHigherReceiptsDoNotLowerTheFloor()
        {
            var (a, _) = RunFirstAggregator(1);
            a.Member.Resume(0, 0, 200); // verified up to v200 (a checkpoint's counters)
            byte[] sent = Update(a.Member, 40, 30);
            var otherKey = new byte[32];
            otherKey[0] = 9;
            byte[] forged = ReceiptFor(a.Member, sent, 3, otherKey);
            Assert.False(a.Member.ReceiveReceipt(forged, forged.Length));
            Assert.Contains("HMAC", a.Member.LastError);
            byte[] low = ReceiptFor(a.Member, sent, 3, config.FleetKey);
            byte[] same = ReceiptFor(a.Member, sent, 200, config.FleetKey);
            Assert.True(a.Member.ReceiveReceipt(same, same.Length)); // at the floor: nothing
            Assert.Equal((0, 200u), (a.Member.FloorsLowered, a.Member.HighestVersion));

            byte[] sent2 = Update(a.Member, 41, 30);
            Assert.False(a.Member.ReceiveReceipt(low, low.Length)); // the low receipt for the previous update, replayed
            Assert.Contains("answers no message this board sent last", a.Member.LastError);
            byte[] higher = ReceiptFor(a.Member, sent2, 250, config.FleetKey);
            Assert.True(a.Member.ReceiveReceipt(higher, higher.Length));
            Assert.Equal((0, 200u), (a.Member.FloorsLowered, a.Member.HighestVersion));

            // Stale: a healthy aggregator at v1 answers the board's next update (newest v1, written before its next merge);
            // the board verifies that merge before it reads the receipt.
            var healthy = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            var b = Named(1, 2);
            Assert.True(healthy.HandleUpdate("board2", Update(b.Member, 10, 5)).Accepted);
            byte[] m1 = healthy.MergeNow();
            Take(b.Member, m1);
            Nudge(b.Network, 0);
            AggregatorResult answered = healthy.HandleUpdate("board2", Update(b.Member, 20, 9));
            Assert.True(answered.Accepted, answered.Error);
            byte[] m2 = healthy.MergeNow();
            Assert.True(b.Member.Receive(m2, m2.Length), b.Member.LastError);
            Assert.True(b.Member.ReceiveReceipt(answered.Receipt, answered.Receipt.Length), b.Member.LastError);
            Assert.Equal(1u, b.Member.ReceiptVersion);
            Assert.Equal((0, 2u), (b.Member.FloorsLowered, b.Member.HighestVersion));

            // The same low version, answering the board's last message: lowered once.
            byte[] sent3 = Update(a.Member, 42, 30);
            byte[] lowNow = ReceiptFor(a.Member, sent3, 3, config.FleetKey, FleetMessage.ReceiptUnknownBase);
            Assert.True(a.Member.ReceiveReceipt(lowNow, lowNow.Length), a.Member.LastError);
            Assert.Equal((1, 3u), (a.Member.FloorsLowered, a.Member.HighestVersion));
        }

        /// <summary>
        /// The floor is the HighestVersion a checkpoint keeps (FirmwareCounters.FleetHighestVersion): a boot from a checkpoint
        /// written after the floor went down goes on from it; a power cut before that checkpoint boots with the old, higher
        /// floor, which the receipt for the board's next message lowers again (the aggregator's counter is still below it).
        /// </summary>
        [Fact]
        public void APowerCutBeforeTheCheckpointLosesTheLoweredFloorOnlyUntilTheNextReceipt()
        {
            var (a, _) = RunFirstAggregator(5);
            a.Member.Resume(0, 0, 20); // verified up to v20, its base v5 less than StaleBaseVersions behind
            Assert.False(a.Member.SendsEveryChannel);
            byte[] sent = Update(a.Member, 40, 30);
            byte[] low = ReceiptFor(a.Member, sent, 3, config.FleetKey);
            Assert.True(a.Member.ReceiveReceipt(low, low.Length));
            Assert.Equal(3u, a.Member.HighestVersion);
            // Its base v5 is above the lowered floor: a version this aggregator never published, so every channel goes out.
            Assert.True(a.Member.BaseMayBeGone);
            Assert.True(a.Member.SendsEveryChannel);

            // A checkpoint written now keeps 3; a boot from it (a new member resumed from its counters) goes on from v3.
            var booted = new FleetMember(a.Network, config.Boards[0].Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = "board1" };
            booted.Resume(a.Member.UpdateSequence, 0, a.Member.HighestVersion);
            Assert.Equal(3u, booted.HighestVersion);

            // The power cut came first: the older checkpoint's v200 comes back; the next update's receipt lowers it again.
            var cut = new FleetMember(a.Network, config.Boards[0].Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = "board1" };
            cut.Resume(a.Member.UpdateSequence + 16, 0, 200);
            byte[] after = Update(cut, 41, 30);
            Assert.False(cut.ReceiveReceipt(low, low.Length)); // the old receipt answers no message of this boot
            Assert.Equal(200u, cut.HighestVersion);
            byte[] again = ReceiptFor(cut, after, 4, config.FleetKey);
            Assert.True(cut.ReceiveReceipt(again, again.Length), cut.LastError);
            Assert.Equal((1, 4u), (cut.FloorsLowered, cut.HighestVersion));
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
