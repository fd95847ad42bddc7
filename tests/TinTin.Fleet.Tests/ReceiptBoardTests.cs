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
    /// Issue 15: the board acts on the aggregator's receipts (FleetMember.ReceiveReceipt, FleetLink): a base refused makes
    /// the next update carry every channel; a sequence refused as replayed moves past the aggregator's last accepted one
    /// (before, a re-flashed board, or one whose counters went back, was refused until its counter passed the old one: for
    /// good in practice); every verified refusal is one `err code=fleet reason=..` line and counts in `agg_refused`; a
    /// forged, cut, oversized, duplicate, stale or foreign receipt is refused with an err line and changes nothing.
    /// </summary>
    public class ReceiptBoardTests
    {
        private static readonly FleetConfig Config = FleetConfig.Demo(2);
        private static int AllChannels(FleetMember m) => m.Shape.Channels.Take(m.Shape.LayerCount).Sum();

        /// <summary>A firmware board (FleetLink) on `transport` as board1 of FleetConfig.Demo(2), no labels of its own.</summary>
        internal static VirtualFleetBoard Board(FakeTransport transport, int seed = 3) =>
            FirmwareBoards.On(transport, new FleetSettings
            {
                BoardKey = Config.Boards[0].Key, FleetKey = Config.FleetKey, PublishEveryLabels = 8, StatsEverySamples = 16, BoardId = "board1", KeepOwnHead = false,
            }, seed: seed);

        /// <summary>Hands every message published since `from` to the aggregator and queues its receipt for the board; returns the results.</summary>
        internal static List<AggregatorResult> Exchange(FakeTransport t, FleetAggregator aggregator, ref int from)
        {
            var results = new List<AggregatorResult>();
            for (; from < t.Published.Count; from++)
            {
                AggregatorResult r = aggregator.HandleUpdate("board1", t.Published[from]);
                if (r.Receipt != null) t.Incoming.Enqueue(r.Receipt);
                results.Add(r);
            }
            return results;
        }

        private static List<ProtocolMessage> Lines(VirtualFleetBoard b, int from, string kind) => BaseRowsCheckpointTests.Lines(b, from, kind);

        private static ProtocolMessage Status(VirtualFleetBoard b)
        {
            int from = b.SerialLines.Count;
            b.App.HandleLine("fleet status");
            return Lines(b, from, "fleet").Single();
        }

        private static void LearnAndPublish(VirtualFleetBoard b) => FirmwareFleetTests.LearnAndPublish(b);

        /// <summary>
        /// A board whose counters went back (its flash erased and the firmware flashed again; the same id and key) after its
        /// earlier life's messages were accepted, with the aggregator restarted from its state file in between: its first
        /// update and statistics are refused as replayed, the receipts say the last accepted sequences, the board moves past
        /// them (two err lines, agg_refused 2) and its next update and statistics are accepted.
        /// </summary>
        [Fact]
        public void AReflashedBoardMovesItsSequencesPastTheAggregatorsAndIsAcceptedAgain()
        {
            string dir = Directory.CreateTempSubdirectory("tintin-receipt-board-").FullName;
            try
            {
                string state = Path.Combine(dir, "fleet.state");
                FleetAggregator aggregator = FirmwareFleetTests.DefaultAggregator();
                aggregator.UseStateFile(state);
                var t1 = new FakeTransport();
                using (VirtualFleetBoard earlier = Board(t1))
                {
                    earlier.App.HandleLine("fleet join");
                    earlier.Member.Resume(500, 300, 0); // a long earlier life
                    LearnAndPublish(earlier);
                    int from = 0;
                    Assert.All(Exchange(t1, aggregator, ref from), r => Assert.True(r.Accepted, r.Error));
                }
                uint lastUpdate = aggregator.Boards["board1"].Latest.Sequence, lastStats = aggregator.Boards["board1"].Stats.Sequence;
                Assert.True(lastUpdate > 500 && lastStats > 300);

                FleetAggregator restarted = FirmwareFleetTests.DefaultAggregator();
                restarted.UseStateFile(state);
                var t = new FakeTransport();
                using VirtualFleetBoard b = Board(t);
                b.App.HandleLine("fleet join");
                LearnAndPublish(b);
                int delivered = 0;
                List<AggregatorResult> refused = Exchange(t, restarted, ref delivered);
                Assert.Contains(refused, r => !r.Accepted && !r.Stats && r.Outcome == FleetMessage.ReceiptReplayed);
                Assert.Contains(refused, r => !r.Accepted && r.Stats && r.Outcome == FleetMessage.ReceiptReplayed);
                Assert.DoesNotContain(refused, r => r.Accepted);
                int lines = b.SerialLines.Count;
                b.Step(); // the safe point reads the receipts
                List<ProtocolMessage> errs = Lines(b, lines, "err").Where(m => m.Get("reason") == "replayed").ToList();
                Assert.Equal(2, errs.Count);
                Assert.Contains(errs, m => m.Get("kind") == "update" && m.Get("agg_seq") == lastUpdate.ToString());
                Assert.Contains(errs, m => m.Get("kind") == "stats" && m.Get("agg_seq") == lastStats.ToString());
                Assert.All(errs, m => Assert.Equal("fleet", m.Get("code")));
                Assert.All(b.SerialLines.Skip(lines), l => Assert.True(l.Length <= 200, l));
                Assert.True(b.Member.UpdateSequence >= lastUpdate && b.Member.StatsSequence >= lastStats);
                Assert.Equal("2", Status(b).Get("agg_refused"));

                LearnAndPublish(b);
                List<AggregatorResult> after = Exchange(t, restarted, ref delivered);
                Assert.Contains(after, r => !r.Stats);
                Assert.Contains(after, r => r.Stats);
                Assert.All(after, r => Assert.True(r.Accepted, r.Error));
                Assert.Equal(lastUpdate + 1, restarted.Boards["board1"].Latest.Sequence);
            }
            finally { Directory.Delete(dir, true); }
        }

        /// <summary>
        /// Bad receipts reach the board's loop: each is one err line, counted in `refused`, and changes nothing; the genuine
        /// receipt of an accepted update prints nothing, and neither does its second copy (MQTT delivers at least once: it
        /// is counted in ReceiptDuplicates). Before receipts the board refused every one as "kind 4 where 2 was expected".
        /// </summary>
        [Fact]
        public void ForgedCutOversizedStaleAndForeignReceiptsAreRefusedWithErrLinesAndADuplicateIsIgnored()
        {
            var t = new FakeTransport();
            using VirtualFleetBoard b = Board(t);
            FleetAggregator aggregator = FirmwareFleetTests.DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = 0;
            Assert.All(Exchange(t, aggregator, ref delivered), r => Assert.True(r.Accepted, r.Error));
            byte[] old = t.Incoming.Single();
            t.Incoming.Clear();
            LearnAndPublish(b); // a newer update: the old receipt answers no message the board sent last
            Exchange(t, aggregator, ref delivered);
            byte[] genuine = t.Incoming.Single();
            t.Incoming.Clear();
            uint sequence = b.Member.UpdateSequence, statsSequence = b.Member.StatsSequence;

            byte[] flipped = (byte[])genuine.Clone();
            flipped[40] ^= 1;
            byte[] oversized = new byte[FleetMessage.MaxReceiptBytes + 1];
            genuine.CopyTo(oversized, 0);
            byte[] lastUpdate = t.Published.Last(m => m[5] == FleetMessage.KindUpdate);
            byte[] foreign = new byte[FleetMessage.ReceiptBytes(6)];
            FleetMessage.WriteReceipt(foreign, lastUpdate, lastUpdate.Length, FleetMessage.ReceiptReplayed, 1 << 30, 0, 0, FleetMessage.BoardIdBytes("board2"), new HmacSha256(Config.FleetKey));
            byte[] wrongKey = new byte[genuine.Length];
            FleetMessage.WriteReceipt(wrongKey, lastUpdate, lastUpdate.Length, FleetMessage.ReceiptReplayed, 1 << 30, 0, 0, FleetMessage.BoardIdBytes("board1"), new HmacSha256(Config.Boards[0].Key));
            var bad = new (byte[] Message, string Says)[]
            {
                (flipped, "HMAC"), (genuine.AsSpan(0, genuine.Length - 3).ToArray(), "truncated"), (oversized, "over the 141-byte limit"),
                (old, "answers no message this board sent last"), (foreign, "addressed to board  board2 "), (wrongKey, "HMAC"),
            };
            int rejected = b.Member.Rejected;
            int lines = b.SerialLines.Count;
            foreach (var (message, _) in bad) t.Incoming.Enqueue(message);
            t.Incoming.Enqueue(genuine);
            t.Incoming.Enqueue(genuine); // a duplicate (MQTT at least once, or a replay)
            b.Step();
            List<string> errs = Lines(b, lines, "err").Where(m => m.Get("code") == "fleet").Select(m => m.Get("msg").Replace('_', ' ')).ToList();
            Assert.Equal(bad.Length, errs.Count);
            for (int i = 0; i < bad.Length; i++) Assert.Contains(bad[i].Says, errs[i]);
            Assert.Equal(1, b.Member.ReceiptDuplicates);
            Assert.Equal(rejected + bad.Length, b.Member.Rejected);
            Assert.Equal((sequence, statsSequence), (b.Member.UpdateSequence, b.Member.StatsSequence)); // no forged "replayed" moved them
            Assert.Equal(FleetMessage.ReceiptAccepted, b.Member.ReceiptCode);
            Assert.False(b.Member.SendsEveryChannel);
            ProtocolMessage status = Status(b);
            Assert.Equal(("0", b.Member.Rejected.ToString()), (status.Get("agg_refused"), status.Get("refused")));
        }

        /// <summary>
        /// The firmware acting on a base refusal: a genuine receipt (fleet key, the board's last update) saying base gone is
        /// one err line, and the next update carries every channel (before: the same channels as without it).
        /// </summary>
        [Fact]
        public void ABaseGoneReceiptMakesTheFirmwaresNextUpdateCarryEveryChannel()
        {
            var t = new FakeTransport();
            using VirtualFleetBoard b = Board(t);
            FleetAggregator aggregator = FirmwareFleetTests.DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = 0;
            Exchange(t, aggregator, ref delivered);
            t.Incoming.Clear();
            Assert.False(b.Member.SendsEveryChannel);
            byte[] update = t.Published.Last(m => m[5] == FleetMessage.KindUpdate);
            byte[] receipt = new byte[FleetMessage.ReceiptBytes(6)];
            FleetMessage.WriteReceipt(receipt, update, update.Length, FleetMessage.ReceiptBaseGone, b.Member.UpdateSequence - 1, 9, 0, FleetMessage.BoardIdBytes("board1"), new HmacSha256(Config.FleetKey));
            t.Incoming.Enqueue(receipt);
            int lines = b.SerialLines.Count;
            b.Step();
            ProtocolMessage err = Lines(b, lines, "err").Single();
            Assert.Equal(("fleet", "base_gone", "update", "9"), (err.Get("code"), err.Get("reason"), err.Get("kind"), err.Get("agg_v")));
            Assert.Contains("updates carry every channel", err.Get("msg").Replace('_', ' '));
            Assert.True(b.Member.BaseRefused && b.Member.SendsEveryChannel);
            int published = t.Published.Count;
            LearnAndPublish(b);
            byte[] next = t.Published.Skip(published).Last(m => m[5] == FleetMessage.KindUpdate);
            var read = new FleetUpdate(b.Member.Shape);
            Assert.True(new FleetMessageReader(FleetMessage.DefaultMaxBytes).ReadUpdate(next, next.Length, new HmacSha256(Config.Boards[0].Key), read));
            Assert.Equal(AllChannels(b.Member), read.ChannelsSent);
        }

        /// <summary>
        /// The aggregator's own base-gone refusal, end to end on FleetMember: a board that took v1 and verified nothing newer
        /// (no fallback can tell) sends sparse on v1 after it left the aggregator's window; the receipt makes its next update
        /// carry every channel, which is accepted, and the aggregator then holds the board's model.
        /// </summary>
        [Fact]
        public void AfterABaseGoneReceiptTheNextUpdateCarriesEveryChannelAndIsAccepted()
        {
            FleetConfig config = FleetConfig.Demo(2);
            uint labelled = 10;
            FleetAggregator aggregator = ReceiptTests.AggregatorThatDroppedBoard1sBase(config, out var a, out var b, ref labelled);
            Assert.False(a.Member.SendsEveryChannel); // BaseMayBeGone cannot tell: it verified no newer version
            AggregatorResult refused = aggregator.HandleUpdate("board1", Update(a.Member, 30, 20));
            Assert.False(refused.Accepted);
            Assert.True(a.Member.ReceiveReceipt(refused.Receipt, refused.Receipt.Length), a.Member.LastError);
            Assert.Equal((FleetMessage.ReceiptBaseGone, 1), (a.Member.ReceiptCode, a.Member.AggregatorRefused));
            Assert.True(a.Member.SendsEveryChannel);
            AggregatorResult accepted = aggregator.HandleUpdate("board1", Update(a.Member, 31, 21));
            Assert.True(accepted.Accepted, accepted.Error);
            Assert.Equal(AllChannels(a.Member), aggregator.Boards["board1"].Latest.ChannelsSent);
            Assert.True(a.Member.ReceiveReceipt(accepted.Receipt, accepted.Receipt.Length), a.Member.LastError);
            Assert.Equal(FleetMessage.ReceiptAccepted, a.Member.ReceiptCode);
            Assert.Equal(1, a.Member.AggregatorRefused);
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, a.Network);
            // A take moves the base: the refusal no longer applies.
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, labelled++, 5)).Accepted);
            byte[] newer = aggregator.MergeNow();
            Assert.True(a.Member.Receive(newer, newer.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            Assert.False(a.Member.BaseRefused);
            Assert.False(a.Member.SendsEveryChannel);
        }

        /// <summary>
        /// What receipts cost a virtual fleet where nothing is refused: the same run with and without them (an aggregator
        /// before receipts, FleetAggregator.Receipts = false) differs only in the bytes each board received, by one receipt
        /// (77 B + its id) per update it published (read at its next safe point: the last one may be left when its stream
        /// ends); accuracies, takes, refusals and every other figure are equal.
        /// </summary>
        [Fact]
        public void InARunWithoutRefusalsReceiptsCostOneSmallMessageAPublishedUpdateAndChangeNothingElse()
        {
            FleetSimulationResult Run(bool receipts) => VirtualFleet.Run(new VirtualFleetOptions
            {
                Boards = 4, MaxSamples = 1500, PublishEveryLabels = 8,
                AggregatorFactory = (config, version0, mergeEvery) => new FleetAggregator(config, version0, mergeEvery) { Receipts = receipts },
            }, null);
            FleetSimulationResult with = Run(true), without = Run(false);
            Assert.True(with.MergedVersions > 0);
            Assert.Equal(0, with.Boards.Sum(b => b.MessagesRefused));
            for (int i = 0; i < with.Boards.Count; i++)
            {
                FleetBoardResult a = with.Boards[i], b = without.Boards[i];
                Assert.True(a.UpdatesSent > 0, a.Name);
                int receipt = FleetMessage.ReceiptBytes(a.Name.Length);
                long extra = a.BytesReceived - b.BytesReceived;
                Console.WriteLine($"{a.Name}: {a.UpdatesSent} updates, {a.BytesSent} B sent, received {b.BytesReceived} B without receipts, {a.BytesReceived} B with (+{extra} B, {receipt} B a receipt)");
                // One receipt per update; the last update's may still wait when the board's stream ends (read at its next safe point).
                Assert.Equal(0, extra % receipt);
                Assert.InRange(extra / receipt, a.UpdatesSent - 1, a.UpdatesSent);
            }
            string Masked(FleetSimulationResult r) => System.Text.RegularExpressions.Regex.Replace(r.ToJson(), "\"bytes_received\": \\d+", "\"bytes_received\": 0");
            Assert.Equal(Masked(without), Masked(with));
        }

        /// <summary>
        /// Through the embedded broker in-process: a board's update and statistics reach the aggregator service, which
        /// publishes the receipt on the board's receipt topic; the board verifies it. Another board may not subscribe to it,
        /// and no board may publish a receipt.
        /// </summary>
        [Fact]
        public void ReceiptsTravelThroughTheEmbeddedBrokerOnlyToTheirBoard()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            a.Member.BoardId = "board1";
            var aggregator = new FleetAggregator(config, Version0(FleetNets.Create()), 0);
            EmbeddedBroker broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult();
            try
            {
                AggregatorService service = AggregatorService.StartAsync(broker.Uri, config, aggregator).GetAwaiter().GetResult();
                using var t1 = new MqttBoardTransport(broker.Uri, config, "board1");
                Assert.True(t1.Connect(), t1.LastError);
                int length = a.Member.WriteUpdate(30, 20);
                Assert.True(t1.PublishUpdate(a.Member.UpdateBuffer, length));
                byte[] stale = AggregatorTests.StatsOf(a.Member, 0, 4, 1);
                Assert.True(t1.PublishUpdate(stale, stale.Length));
                Assert.True(t1.PublishUpdate(stale, stale.Length)); // replayed: a receipt
                Assert.True(MqttTests.WaitFor(() => t1.Received >= aggregator.MessagesFor("board1") && aggregator.Processed >= 3));
                var inbox = new byte[FleetMessage.DefaultMaxBytes];
                var codes = new List<int>();
                int n;
                while ((n = t1.TryReceive(inbox)) != 0)
                {
                    Assert.Equal(FleetMessage.KindReceipt, inbox[5]);
                    Assert.True(a.Member.ReceiveReceipt(inbox, n), a.Member.LastError);
                    codes.Add(a.Member.ReceiptCode * 10 + a.Member.ReceiptKind);
                }
                Assert.Equal(new[] { FleetMessage.ReceiptAccepted * 10 + FleetMessage.KindUpdate, FleetMessage.ReceiptReplayed * 10 + FleetMessage.KindStats }, codes);
                int refusedSubscriptions = broker.RefusedSubscriptions, refusedPublishes = broker.RefusedPublishes;
                using var snoop = new MQTTnet.MqttClientFactory().CreateMqttClient();
                snoop.ConnectAsync(BrokerUri.Options(broker.Uri, "board2", config.Boards[1].Password)).GetAwaiter().GetResult();
                snoop.SubscribeAsync(new MQTTnet.MqttClientFactory().CreateSubscribeOptionsBuilder().WithTopicFilter(config.ReceiptTopic("board1")).Build()).GetAwaiter().GetResult();
                Assert.Equal(refusedSubscriptions + 1, broker.RefusedSubscriptions);
                byte[] receipt = new byte[FleetMessage.ReceiptBytes(6)];
                FleetMessage.WriteReceipt(receipt, null, 0, FleetMessage.ReceiptReplayed, 1 << 30, 0, 0, FleetMessage.BoardIdBytes("board1"), new HmacSha256(config.FleetKey));
                t1.PublishRaw(config.ReceiptTopic("board1"), receipt);
                Assert.True(MqttTests.WaitFor(() => broker.RefusedPublishes > refusedPublishes));
                snoop.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptions(), default).GetAwaiter().GetResult();
                service.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            finally { broker.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        }
    }
}
