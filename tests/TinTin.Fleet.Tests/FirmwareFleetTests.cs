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
    /// <summary>An in-memory fleet transport: what the board published, what it will receive.</summary>
    public sealed class FakeTransport : IFleetTransport
    {
        public readonly List<byte[]> Published = new();
        public readonly Queue<byte[]> Incoming = new();
        public bool Reachable = true;
        /// <summary>Called with every message as it is published (at the board's safe point).</summary>
        public Action<byte[]> OnPublish;
        public bool IsConnected { get; private set; }
        public bool Connect() { IsConnected = Reachable; return IsConnected; }
        public void Disconnect() => IsConnected = false;
        public bool PublishUpdate(byte[] message, int length)
        {
            if (!IsConnected) return false;
            Published.Add(message.AsSpan(0, length).ToArray());
            OnPublish?.Invoke(Published[^1]);
            return true;
        }
        public int TryReceive(byte[] buffer)
        {
            if (Incoming.Count == 0) return 0;
            byte[] m = Incoming.Dequeue();
            if (m.Length > buffer.Length) return -1;
            m.CopyTo(buffer, 0);
            return m.Length;
        }
    }

    /// <summary>The fleet inside the firmware: `fleet` commands and lines, models taken only at the safe point.</summary>
    public class FirmwareFleetTests
    {
        private static readonly FleetConfig Config = FleetConfig.Demo(2);

        /// <summary>A board on the fake transport; the mechanics tests change the last layer, so by default the board takes it too (KeepOwnHead off).</summary>
        private static VirtualFleetBoard Board(IFleetTransport transport, int publishEvery = 32, Action<FleetSettings> settings = null, TrainingStateMode mode = TrainingStateMode.GradientArena)
        {
            FleetSettings fleet = null;
            if (transport != null)
            {
                fleet = new FleetSettings { BoardKey = Config.Boards[0].Key, FleetKey = Config.FleetKey, PublishEveryLabels = publishEvery, KeepOwnHead = false };
                settings?.Invoke(fleet);
            }
            return FirmwareBoards.On(transport, fleet, mode: mode);
        }

        private static List<ProtocolMessage> Lines(VirtualFleetBoard b, string kind) =>
            b.SerialLines.Select(l => { try { return ProtocolParser.Parse(l); } catch (ProtocolException) { return null; } })
                .Where(m => m != null && m.Kind == kind).ToList();

        private static byte[] Merged(Network shapeOf, uint version, Action<ParameterSet> change, byte[] key = null)
        {
            var set = new ParameterSet(shapeOf);
            set.CopyFrom(shapeOf);
            change(set);
            var message = new byte[FleetMessage.MergedBytes(set)];
            FleetMessage.WriteMerged(message, set, version, 2, 100, new HmacSha256(key ?? Config.FleetKey));
            return message;
        }

        internal static ParameterSet Snapshot(Network n) { var s = new ParameterSet(n); s.CopyFrom(n); return s; }
        /// <summary>The classifier head: the last parameter layer (whatever the embedded default model's depth).</summary>
        private static int Head(ParameterSet s) => s.LayerCount - 1;

        [Fact]
        public void WithoutATransportTheFleetCommandSaysSo()
        {
            using var b = Board(null);
            b.App.HandleLine("fleet join");
            Assert.Contains(Lines(b, "err"), m => m.Get("code") == "fleet");
        }

        [Fact]
        public void JoinStatusLeaveAndBadArgumentsAnswerWithLines()
        {
            var t = new FakeTransport();
            using var b = Board(t);
            b.App.HandleLine("fleet join");
            b.App.HandleLine("fleet");
            b.App.HandleLine("fleet leave");
            b.App.HandleLine("fleet dance");
            List<ProtocolMessage> fleet = Lines(b, "fleet");
            Assert.Equal(new[] { "joined", "status", "left" }, fleet.Select(m => m.Get("event")).ToArray());
            Assert.Equal("1", fleet[0].Get("joined"));
            Assert.Equal("0", fleet[2].Get("connected"));
            Assert.Contains(Lines(b, "err"), m => m.Get("code") == "bad_argument");
            t.Reachable = false;
            b.App.HandleLine("fleet join");
            Assert.Equal("join_failed", Lines(b, "fleet").Last().Get("event"));
        }

        [Fact]
        public void ARefusedModelGivesAnErrLineAndAGoodOneIsTakenAfterACheckpointAtTheSafePoint()
        {
            var t = new FakeTransport();
            using var b = Board(t);
            b.App.HandleLine("fleet join");
            Network network = b.Network;
            ParameterSet before = Snapshot(network);
            byte[] good = Merged(network, 1, s => { s.Bias[Head(s)][0] += 1 << 20; s.Bias[Head(s)][1] -= 1 << 20; });
            byte[] forged = (byte[])good.Clone();
            forged[40] ^= 1;
            t.Incoming.Enqueue(forged);
            t.Incoming.Enqueue(good[..(good.Length - 3)]);
            b.Step();
            Assert.Equal(2, Lines(b, "err").Count(m => m.Get("code") == "fleet"));
            Assert.Equal(before.Bias[Head(before)], Snapshot(network).Bias[Head(before)]);

            int linesBefore = b.SerialLines.Count;
            t.Incoming.Enqueue(good);
            b.Step();
            var after = b.SerialLines.Skip(linesBefore).Select(l => ProtocolParser.Parse(l)).Where(m => m != null).ToList();
            int ckpt = after.FindIndex(m => m.Kind == "ckpt");
            int taken = after.FindIndex(m => m.Kind == "fleet" && m.Get("event") == "taken");
            Assert.True(ckpt >= 0 && taken > ckpt, string.Join("\n", b.SerialLines.Skip(linesBefore)));
            Assert.Equal(before.Bias[Head(before)][0] + (1 << 20), Snapshot(network).Bias[Head(before)][0]);
            Assert.Equal("1", after[taken].Get("base"));
            // The same version again (a replay) is refused.
            t.Incoming.Enqueue(good);
            b.Step();
            Assert.Contains("not_newer", b.SerialLines.Last(l => l.Contains("err")));
        }

        [Theory]
        [InlineData(TrainingStateMode.FusedInt8)]
        [InlineData(TrainingStateMode.FusedInt8Residue)]
        public void AnInt8BoardIsRefusedAtJoinWithAClearErrorAndRunsOn(TrainingStateMode mode)
        {
            var t = new FakeTransport();
            using var b = Board(t, mode: mode);
            b.App.HandleLine("fleet join");
            Assert.Contains(Lines(b, "err"), m => m.Get("code") == "fleet" && m.Get("msg").Contains("FusedInt8"));
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "join_refused");
            Assert.False(b.App.Fleet.Joined);
            Assert.False(t.IsConnected);
            for (int i = 0; i < 10; i++) Assert.True(b.Step());
            Assert.Null(b.Member);
            // The arena-mode board joins as before.
            using var arena = Board(new FakeTransport());
            arena.App.HandleLine("fleet join");
            Assert.True(arena.App.Fleet.Joined);
        }

        [Fact]
        public void WithItsOwnHeadABoardTakesOnlyTheLayersBelowTheLastFromTheFleet()
        {
            var t = new FakeTransport();
            using var b = Board(t, settings: s => s.KeepOwnHead = true);
            b.App.HandleLine("fleet join");
            b.Step();
            ParameterSet before = Snapshot(b.Network);
            byte[] merged = Merged(b.Network, 1, s => { s.Bias[0][0] += 1 << 12; s.Bias[Head(s)][0] += 1 << 20; });
            t.Incoming.Enqueue(merged);
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "taken");
            ParameterSet after = Snapshot(b.Network);
            Assert.NotEqual(before.Bias[0][0], after.Bias[0][0]);      // the body is the fleet's
            Assert.Equal(before.Bias[Head(before)], after.Bias[Head(after)]);                // the head is the board's own, bit for bit
            Assert.Equal(before.Master[Head(before)], after.Master[Head(after)]);
            Assert.Equal(before.MasterExponent[Head(before)], after.MasterExponent[Head(after)]);
        }

        [Theory]
        [InlineData(0, "declined")]
        [InlineData(-1, "taken")]
        public void AModelWorseOnTheRecentlyLabelledHistoryIsDeclinedBeforeItIsTaken(int historyTolerance, string outcome)
        {
            var t = new FakeTransport();
            using var b = Board(t, settings: s => { s.HistoryTolerance = historyTolerance; s.CheckOnStoredLabels = false; });
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            int own = b.App.LastPrediction;
            b.App.HandleLine("label " + own + " 240"); // the recent samples, labelled as the board predicts them
            b.Step();
            ParameterSet before = Snapshot(b.Network);
            t.Incoming.Enqueue(Merged(b.Network, 1, s => { s.Bias[Head(s)][own] -= 1 << 26; s.Bias[Head(s)][1 - own] += 1 << 26; }));
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == outcome);
            if (outcome == "declined")
            {
                ParameterSet after = Snapshot(b.Network);
                for (int l = 0; l < before.LayerCount; l++) Assert.Equal(before.Bias[l], after.Bias[l]);
                Assert.Equal(1, b.Member.Declined);
                Assert.Equal(0u, b.Member.BaseVersion);
            }
        }

        [Theory]
        [InlineData(0, "declined")]
        [InlineData(-1, "taken")]
        public void AModelChangingTooManyRecentPredictionsIsDeclinedByTheAgreementBudget(int budget, string outcome)
        {
            var t = new FakeTransport();
            using var b = Board(t, settings: s => { s.AgreementBudget = budget; s.HistoryTolerance = -1; s.CheckOnStoredLabels = false; });
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            int own = b.App.LastPrediction;
            ParameterSet before = Snapshot(b.Network);
            // Every recent prediction flips; none of them labelled.
            t.Incoming.Enqueue(Merged(b.Network, 1, s => { s.Bias[Head(s)][own] -= 1 << 26; s.Bias[Head(s)][1 - own] += 1 << 26; }));
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == outcome);
            Assert.Equal(budget >= 0 ? 1 : 0, b.Member.AgreementDeclined);
            if (outcome == "declined")
            {
                ParameterSet after = Snapshot(b.Network);
                for (int l = 0; l < before.LayerCount; l++) Assert.Equal(before.Bias[l], after.Bias[l]);
                Assert.True(b.Member.LastChanged > 0);
            }
        }

        [Fact]
        public void APairedTrialRollsBackAModelWorseThanTheBoardsOwnOnTheSameLabelsBitForBit()
        {
            var t = new FakeTransport();
            using var b = Board(t);
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            int own = b.App.LastPrediction;
            Assert.True(own >= 0);
            ParameterSet before = Snapshot(b.Network);
            // A merged model that predicts the other class everywhere.
            t.Incoming.Enqueue(Merged(b.Network, 1, s => { s.Bias[Head(s)][own] -= 1 << 26; s.Bias[Head(s)][1 - own] += 1 << 26; }));
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "taken");
            Assert.True(b.Member.InTrial);
            for (int i = 0; i < 5; i++) b.Step();
            b.App.HandleLine("label " + own + " 240"); // the samples observed since the take, as the board's own model predicts them
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "rolled_back");
            Assert.True(b.Member.TrialWorse >= 2, "worse on " + b.Member.TrialWorse);
            ParameterSet after = Snapshot(b.Network);
            for (int l = 0; l < before.LayerCount; l++)
            {
                Assert.Equal(before.Master[l], after.Master[l]);
                Assert.Equal(before.Bias[l], after.Bias[l]);
            }
            Assert.Equal(0u, b.Member.BaseVersion);
            // The first rollback waits one trial's length (scaled to the board's label rate by the default FleetSettings).
            Assert.Equal(FleetSettings.DefaultTrialLabelRatePerMille, b.Member.TrialLabelRatePerMille);
            Assert.Equal(b.Member.TrialLength, b.Member.WaitLabels);
            Assert.InRange(b.Member.WaitLabels, b.Member.MinimumTrialLabels, FleetSettings.DefaultTrialSamples);
        }

        [Fact]
        public void APairedTrialKeepsAModelNoWorseThanTheBoardsOwn()
        {
            var t = new FakeTransport();
            using var b = Board(t);
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            t.Incoming.Enqueue(Merged(b.Network, 1, s => s.Bias[Head(s)][0] += 1)); // the board's own model, one bias step apart
            b.Step();
            Assert.True(b.Member.InTrial);
            for (int round = 0; round < 10 && b.Member.InTrial; round++)
            {
                for (int i = 0; i < 5; i++) b.Step();
                b.App.HandleLine("label " + b.App.LastPrediction + " 240");
            }
            b.Step();
            Assert.False(b.Member.InTrial);
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "kept");
            Assert.Equal(1u, b.Member.BaseVersion);
        }

        [Fact]
        public void TheBoardPublishesAnUpdateAfterEnoughLabelsThatTheAggregatorAccepts()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8);
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            Assert.True(b.Counters.Labelled >= 8, "labelled " + b.Counters.Labelled);
            Assert.Single(t.Published);
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "published");
            FleetAggregator aggregator = DefaultAggregator();
            AggregatorResult r = aggregator.HandleUpdate("board1", t.Published[0]);
            Assert.True(r.Accepted, r.Error);
            Assert.Equal((uint)b.Counters.Labelled, aggregator.Boards["board1"].Latest.Labelled);
        }

        /// <summary>Every statistics message the board sends is a `fleet event=stats` line with its size, sequence and sample count.</summary>
        [Fact]
        public void EveryStatisticsMessageSentIsAFleetLine()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            for (int i = 0; i < 20; i++) b.Step();
            Assert.Empty(Lines(b, "fleet").Where(m => m.Get("event") == "stats")); // not joined: nothing sent, no line
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            for (int i = 0; i < 40; i++) b.Step();
            t.Reachable = false;
            b.App.HandleLine("fleet leave");
            for (int i = 0; i < 40; i++) b.Step();

            List<byte[]> sent = t.Published.Where(m => m[5] == FleetMessage.KindStats).ToList();
            List<ProtocolMessage> lines = Lines(b, "fleet").Where(m => m.Get("event") == "stats").ToList();
            Assert.True(sent.Count >= 3, sent.Count + " statistics messages");
            Assert.Equal(sent.Count, lines.Count);
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.Equal(sent[i].Length.ToString(), lines[i].Get("bytes"));
                Assert.Equal(FleetMessage.StatsBytes(b.Network.InputLength, b.Network.ClassCount), sent[i].Length);
                Assert.Equal(LittleEndian.GetU32(sent[i], 16).ToString(), lines[i].Get("seq"));
                Assert.Equal(LittleEndian.GetU32(sent[i], 20).ToString(), lines[i].Get("samples"));
                Assert.NotNull(lines[i].Get("t_ms"));
            }
            Assert.Equal(b.Member.StatsSequence.ToString(), lines[^1].Get("seq"));
        }

        /// <summary>The statistics' class counts come from the board's label path (FirmwareApp.Label): they add up to its labelled samples, and the aggregator reads them.</summary>
        [Fact]
        public void TheStatisticsClassCountsAreTheBoardsLabelledSamplesPerClass()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            for (int i = 0; i < 40; i++) b.Step();
            List<byte[]> sent = t.Published.Where(m => m[5] == FleetMessage.KindStats).ToList();
            Assert.True(sent.Count >= 2, sent.Count + " statistics messages");
            int countsAt = FleetMessage.StatsClassesAt(b.Network.InputLength);
            foreach (byte[] m in sent)
            {
                Assert.Equal(b.Network.ClassCount, LittleEndian.GetU16(m, countsAt));
                long sum = 0;
                for (int c = 0; c < b.Network.ClassCount; c++) sum += LittleEndian.GetU32(m, countsAt + 2 + 4 * c);
                Assert.Equal((long)LittleEndian.GetU32(m, 24), sum); // the board's labelled samples when it wrote the message
            }
            Assert.True(b.Counters.Labelled >= 8, "labelled " + b.Counters.Labelled);
            Assert.Equal(b.Counters.Labelled, (long)b.Member.LabelledOfClass(0) + b.Member.LabelledOfClass(1));
            FleetAggregator aggregator = DefaultAggregator();
            Assert.True(aggregator.HandleUpdate("board1", sent[^1]).Accepted);
            Assert.Equal((long)LittleEndian.GetU32(sent[^1], 24), (long)aggregator.Boards["board1"].Stats.ClassLabelled.Sum(c => (long)c));
        }

        [Fact]
        public void AfterAResetTheBoardsNextUpdateIsStillAcceptedByTheAggregator()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8);
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            Assert.Single(t.Published);
            b.App.HandleLine("reset confirm");
            LearnAndPublish(b);
            Assert.Equal(2, t.Published.Count);
            FleetAggregator aggregator = DefaultAggregator();
            AggregatorResult first = aggregator.HandleUpdate("board1", t.Published[0]);
            Assert.True(first.Accepted, first.Error);
            AggregatorResult afterReset = aggregator.HandleUpdate("board1", t.Published[1]);
            Assert.True(afterReset.Accepted, afterReset.Error);
        }

        /// <summary>The aggregator for the embedded default model (version 0), merging only on request.</summary>
        internal static FleetAggregator DefaultAggregator()
        {
            Model model = ModelFile.Load(VirtualBoardRunner.EmbeddedModel().Bytes, VirtualBoardRunner.EmbeddedModel().Bytes.Length, 0, false);
            return new FleetAggregator(Config, Snapshot(model.Network), 0);
        }

        /// <summary>Samples, then a label for them, then a few more samples: the board learns, publishes an update and statistics.</summary>
        internal static void LearnAndPublish(VirtualFleetBoard b)
        {
            for (int i = 0; i < 30; i++) b.Step();
            b.App.HandleLine("label 0 1200");
            for (int i = 0; i < 3; i++) b.Step();
        }

        /// <summary>Hands every message the board published since `from` to the aggregator; each must be accepted. Returns the new count.</summary>
        internal static int Deliver(FakeTransport t, FleetAggregator aggregator, int from, string when)
        {
            Assert.True(t.Published.Count > from, "nothing published " + when);
            for (int i = from; i < t.Published.Count; i++)
            {
                AggregatorResult r = aggregator.HandleUpdate("board1", t.Published[i]);
                Assert.True(r.Accepted, when + ", message " + i + " (" + (r.Stats ? "statistics" : "update") + "): " + r.Error);
            }
            return t.Published.Count;
        }

        /// <summary>
        /// Issue 15 (trust): after a reset, a restore, a reboot, or a power cut after messages the last checkpoint did not
        /// see, the aggregator still accepts the board's next update and statistics (their sequence numbers never go back),
        /// and the board still refuses a replay of the merged model it took (the highest version seen never goes back).
        /// </summary>
        [Theory]
        [InlineData("reset")]
        [InlineData("restore")]
        [InlineData("reboot")]
        [InlineData("cut")]
        public void AfterAResetRestoreOrRebootTheFleetAcceptsTheBoardsMessagesAndTheBoardRefusesAReplayedModel(string what)
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => { s.StatsEverySamples = 16; s.TrialSamples = 1; });
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = Deliver(t, aggregator, 0, "before the " + what);
            Assert.Contains(t.Published, m => m[5] == FleetMessage.KindStats);
            byte[] merged = aggregator.MergeNow();
            Assert.NotNull(merged);
            t.Incoming.Enqueue(merged);
            b.Step();
            Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "taken" || m.Get("event") == "declined");
            Assert.Equal(1u, b.Member.HighestVersion);
            LearnAndPublish(b);
            delivered = Deliver(t, aggregator, delivered, "after the take");

            switch (what)
            {
                case "reset": b.App.HandleLine("reset confirm"); break;
                case "restore": b.App.HandleLine("reset confirm"); b.App.HandleLine("restore"); break;
                case "reboot": b.Reboot(); b.App.HandleLine("fleet join"); break;
                case "cut":
                    // The cut comes right after a step that published a message and wrote no checkpoint: no checkpoint saw its sequence number.
                    bool cut = false;
                    for (int i = 0; i < 200 && !cut; i++)
                    {
                        long checkpoints = b.Counters.Checkpoints;
                        int published = t.Published.Count;
                        b.Step();
                        cut = t.Published.Count > published && b.Counters.Checkpoints == checkpoints;
                    }
                    Assert.True(cut, "no message went out without a checkpoint after it");
                    delivered = Deliver(t, aggregator, delivered, "after the last checkpoint");
                    b.Reboot();
                    b.App.HandleLine("fleet join");
                    break;
            }
            if (what != "reset") Assert.Equal(1u, b.Member.HighestVersion);

            int linesBefore = b.SerialLines.Count;
            t.Incoming.Enqueue(merged);
            b.Step();
            var refused = b.SerialLines.Skip(linesBefore).Select(ProtocolParser.Parse).Where(m => m != null && m.Kind == "err" && m.Get("code") == "fleet").ToList();
            Assert.Contains(refused, m => m.Get("msg").Replace('_', ' ').Contains("not newer than version 1"));

            // The aggregator's view of the board after its next update is the board's own model as it published it: a
            // channel the update leaves out is the base version's row, and that is the board's row too (a board booted
            // from a checkpoint reads its base's rows from it: BaseRowsCheckpointTests).
            Network atPublish = null;
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = Copy(b.Network); };
            LearnAndPublish(b);
            Assert.Contains(t.Published.Skip(delivered), m => m[5] == FleetMessage.KindUpdate);
            Assert.Contains(t.Published.Skip(delivered), m => m[5] == FleetMessage.KindStats);
            Deliver(t, aggregator, delivered, "after the " + what);
            // Since session 10 the checkpoint keeps the base's rows: after a reboot or a cut too the update is a difference to v1.
            Assert.False(b.Member.SendsEveryChannel);
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
        }

        private static Network Copy(Network n)
        {
            Network copy = ModelFile.Load(VirtualBoardRunner.EmbeddedModel().Bytes, VirtualBoardRunner.EmbeddedModel().Bytes.Length, 0, false).Network;
            Snapshot(n).CopyTo(copy);
            return copy;
        }

        /// <summary>
        /// A checkpoint written before the fleet counters existed (14 counters) still loads, with the fleet counters at
        /// zero; the board, which may have sent messages since its last boot, then starts its sequences at the margin.
        /// </summary>
        [Fact]
        public void ACheckpointWithoutTheFleetCountersLoadsAndTheBoardStartsItsSequencesAtTheMargin()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = Deliver(t, aggregator, 0, "before the reboot");
            int slot = b.App.Checkpoints.LastSlot;
            Assert.True(slot >= 0);
            WriteAsOlderCheckpoint(b.Flash, slot, olderCount: 14);

            b.Reboot();
            Assert.Equal("flash", b.App.ModelSource);
            Assert.Equal(2, b.Counters.Boots);
            Assert.Equal(0, b.Counters.FleetHighestVersion);
            Assert.Equal(FleetLink.OlderCheckpointMargin, b.Member.UpdateSequence);
            Assert.Equal(FleetLink.OlderCheckpointMargin, b.Member.StatsSequence);
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            Deliver(t, aggregator, delivered, "after booting from an older checkpoint");
        }

        /// <summary>What the board's statistics are at a moment: class counts, labelled samples, input samples and sums.</summary>
        private sealed record StatsState(uint C0, uint C1, long Labelled, uint Samples, long[] Sums)
        {
            public static StatsState Of(VirtualFleetBoard b)
            {
                var sums = new long[b.Network.InputLength];
                uint samples = b.Member.CopyInputSums(sums);
                return new StatsState(b.Member.LabelledOfClass(0), b.Member.LabelledOfClass(1), b.Counters.Labelled, samples, sums);
            }
            public void AssertIs(StatsState other, string when)
            {
                Assert.True(C0 == other.C0 && C1 == other.C1 && Labelled == other.Labelled && Samples == other.Samples && Sums.SequenceEqual(other.Sums),
                    $"{when}: expected {other.C0}/{other.C1} of {other.Labelled} labelled, {other.Samples} samples; got {C0}/{C1} of {Labelled}, {Samples}");
            }
        }

        /// <summary>Steps, recording the statistics at every checkpoint the firmware writes.</summary>
        private static StatsState StepsRecordingCheckpoints(VirtualFleetBoard b, int steps, StatsState atCheckpoint)
        {
            for (int i = 0; i < steps; i++)
            {
                long checkpoints = b.Counters.Checkpoints;
                b.Step();
                if (b.Counters.Checkpoints != checkpoints) atCheckpoint = StatsState.Of(b);
            }
            return atCheckpoint;
        }

        /// <summary>
        /// Issue 15: the labelled samples per class and the input statistics survive a reboot and a power cut (the
        /// checkpoint's statistics section): after the boot they are the newest checkpoint's (labels and samples after it
        /// are lost together, like the labelled counter), the statistics message goes on from them with the new labels
        /// added, and the aggregator accepts it. On the code before, they started again at 0 after every boot.
        /// </summary>
        [Theory]
        [InlineData("reboot")]
        [InlineData("cut")]
        public void TheClassCountsAndInputStatisticsSurviveARebootOrAPowerCut(string what)
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            StatsState saved = StepsRecordingCheckpoints(b, 30, null);
            b.App.HandleLine("label 0 1200");
            saved = StepsRecordingCheckpoints(b, 25, saved);
            b.App.HandleLine("label 1 600");
            saved = StepsRecordingCheckpoints(b, 3, saved);
            b.App.HandleLine("save");
            saved = StatsState.Of(b);
            Assert.True(saved.C0 > 0 && saved.C1 > 0 && saved.C0 + saved.C1 == saved.Labelled, saved.ToString());
            if (what == "cut")
            {
                // More labels and samples, then the power goes: what came after the newest checkpoint is lost.
                b.App.HandleLine("label 1 300");
                saved = StepsRecordingCheckpoints(b, 5, saved);
                Assert.NotEqual(saved.Samples, StatsState.Of(b).Samples);
            }
            int delivered = Deliver(t, aggregator, 0, "before the " + what);

            b.Reboot();
            StatsState.Of(b).AssertIs(saved, "after the " + what);
            Assert.Equal(saved.Labelled, b.Counters.Labelled);
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 20; i++) b.Step();
            b.App.HandleLine("label 1 900");
            StatsState labelled = StatsState.Of(b);
            Assert.Equal(saved.C0, labelled.C0);
            Assert.True(labelled.C1 > saved.C1);
            for (int i = 0; i < 20; i++) b.Step();
            byte[] stats = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindStats);
            int countsAt = FleetMessage.StatsClassesAt(b.Network.InputLength);
            Assert.Equal(labelled.C0, LittleEndian.GetU32(stats, countsAt + 2));
            Assert.Equal(labelled.C1, LittleEndian.GetU32(stats, countsAt + 6));
            Assert.Equal((uint)labelled.Labelled, LittleEndian.GetU32(stats, 24));
            Assert.True(LittleEndian.GetU32(stats, 20) > saved.Samples + 20, "samples " + LittleEndian.GetU32(stats, 20));
            Deliver(t, aggregator, delivered, "after the " + what);
            Assert.Equal(labelled.C1, aggregator.Boards["board1"].Stats.ClassLabelled[1]);
        }

        /// <summary>`reset confirm` clears the class counts with the labelled counter (the input statistics go on); `restore` brings back the kept checkpoint's, and a reboot keeps them.</summary>
        [Fact]
        public void AfterAResetTheClassCountsStartAt0AndARestoreOrRebootBringsBackTheCheckpoints()
        {
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            for (int i = 0; i < 30; i++) b.Step();
            b.App.HandleLine("label 0 1200");
            for (int i = 0; i < 25; i++) b.Step();
            b.App.HandleLine("label 1 600");
            b.App.HandleLine("save");
            StatsState learned = StatsState.Of(b);
            Assert.True(learned.C0 > 0 && learned.C1 > 0);
            int delivered = Deliver(t, aggregator, 0, "before the reset");

            b.App.HandleLine("reset confirm");
            StatsState reset = StatsState.Of(b);
            Assert.Equal((0u, 0u, 0L), (reset.C0, reset.C1, reset.Labelled));
            Assert.Equal(new uint[2], b.Counters.ClassLabelled);
            Assert.Equal(learned.Samples, reset.Samples); // the room's inputs carry over

            b.App.HandleLine("restore");
            Assert.Equal((learned.C0, learned.C1, learned.Labelled), (b.Member.LabelledOfClass(0), b.Member.LabelledOfClass(1), b.Counters.Labelled));
            Assert.Equal(new[] { learned.C0, learned.C1 }, b.Counters.ClassLabelled);
            b.Reboot();
            Assert.Equal((learned.C0, learned.C1, learned.Labelled), (b.Member.LabelledOfClass(0), b.Member.LabelledOfClass(1), b.Counters.Labelled));

            // After a reset the statistics message counts only the labels since: none of class 0 here.
            b.App.HandleLine("fleet join");
            b.App.HandleLine("reset confirm");
            for (int i = 0; i < 20; i++) b.Step();
            b.App.HandleLine("label 1 300");
            for (int i = 0; i < 20; i++) b.Step();
            byte[] stats = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindStats);
            int countsAt = FleetMessage.StatsClassesAt(b.Network.InputLength);
            Assert.Equal(0u, LittleEndian.GetU32(stats, countsAt + 2));
            Assert.True(LittleEndian.GetU32(stats, countsAt + 6) > 0);
            Assert.Equal(LittleEndian.GetU32(stats, 24), LittleEndian.GetU32(stats, countsAt + 6));
            Deliver(t, aggregator, delivered, "after the reset");
        }

        /// <summary>
        /// A checkpoint written by the firmware before the statistics section (tests/TinTin.Fleet.Tests/Fixtures/checkpoint-06d94c5.bin:
        /// written by main 06d94c5 after 51 samples, 32 of them labelled, 21 as class 0 and 11 as class 1) loads with its model and every
        /// counter; the class counts and input statistics start at 0, with one err line saying so; the board's messages are accepted,
        /// and its next checkpoint has the section.
        /// </summary>
        [Fact]
        public void ACheckpointFromBeforeTheClassCountsLoadsWithEverythingItHeldAndTheCountsAtZero()
        {
            byte[] old = System.IO.File.ReadAllBytes(RepositoryPaths.Find("tests", "TinTin.Fleet.Tests", "Fixtures", "checkpoint-06d94c5.bin"));
            int modelBytes = (int)LittleEndian.GetU32(old, 12);
            Assert.Equal(0, LittleEndian.GetU16(old, 18)); // the reserved field then
            Assert.Equal(CheckpointStore.ImageSize(modelBytes), old.Length);
            var t = new FakeTransport();
            using var b = Board(t, publishEvery: 8, s => s.StatsEverySamples = 16);
            b.Flash.Write(0, 0, old, old.Length);
            int linesBefore = b.SerialLines.Count;
            b.Reboot();

            Assert.Equal("flash", b.App.ModelSource);
            Assert.Equal(old.AsSpan(CheckpointStore.HeaderBytes, modelBytes).ToArray(), ModelFile.Save(b.App.Model));
            FirmwareCounters c = b.Counters;
            Assert.Equal((51L, 32L, 1L, 8L, 3L, 2L), (c.Samples, c.Labelled, c.Correct, c.Updates, c.Checkpoints, c.Boots));
            Assert.Equal((1026L, 1027L, 0L, 0L), (c.FleetUpdateReserved, c.FleetStatsReserved, c.FleetHighestVersion, c.FleetBaseVersion));
            Assert.Equal(new uint[2], c.ClassLabelled);
            Assert.Equal((0u, 0u, 0u), (b.Member.LabelledOfClass(0), b.Member.LabelledOfClass(1), b.Member.InputSamples));
            var errors = b.SerialLines.Skip(linesBefore).Select(ProtocolParser.Parse).Where(m => m != null && m.Kind == "err").ToList();
            Assert.Single(errors);
            Assert.Equal("flash", errors[0].Get("code"));
            Assert.Contains("predates_the_class_counts", errors[0].Get("msg"));

            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            Deliver(t, DefaultAggregator(), 0, "after booting from a checkpoint without class counts");
            b.App.HandleLine("save");
            var image = new byte[b.Flash.SlotCapacity];
            int length = b.Flash.Read(b.App.Checkpoints.LastSlot, 0, image, image.Length);
            Assert.Equal(CheckpointStore.ImageSize(modelBytes, b.Network.InputLength, b.Network.ClassCount), length);
            Assert.Equal(CheckpointStore.StatisticsBytes(b.Network.InputLength, b.Network.ClassCount), LittleEndian.GetU16(image, 18));
            StatsState saved = StatsState.Of(b);
            Assert.True(saved.C0 > 0);
            b.Reboot();
            StatsState.Of(b).AssertIs(saved, "after a reboot from the new checkpoint");
            Assert.Equal(0, b.SerialLines.Skip(linesBefore).Count(l => l.Contains("predates")) - 1);
        }

        /// <summary>
        /// Issue 15: a board whose base is still version 0 (a challenger board never takes a merged model; a take-mode board
        /// has taken none yet, e.g. the fleet has not merged) is rebooted from a checkpoint. Its baseline is the embedded
        /// default model's rows again (version 0's: the challenger's prediction-only network, loaded from that model; on a
        /// take-mode board the model file read into the member's baseline), and its updates carry only the channels that
        /// differ from them, as before the boot, not every channel (the code before: 2,022 B on 6-48-24-2 at every update
        /// after a boot, for good on a challenger board, until the first take on a take-mode one). The aggregator's view of
        /// the board is the board's own model. A restore after the boot keeps the exact base (the previous member's rows).
        /// </summary>
        [Theory]
        [InlineData("challenger")]
        [InlineData("take")]
        public void ABoardAtBase0RebootedFromACheckpointSendsOnlyTheChannelsThatDifferFromTheDefaultModel(string mode)
        {
            var t = new FakeTransport();
            using var b = mode == "challenger" ? Board(t, publishEvery: 8, s => { s.Challenger = true; s.KeepOwnHead = true; }) : Board(t, publishEvery: 8);
            FleetAggregator aggregator = DefaultAggregator();
            b.App.HandleLine("fleet join");
            LearnAndPublish(b);
            int delivered = Deliver(t, aggregator, 0, "before the reboot");
            if (mode == "challenger")
            {
                byte[] merged = aggregator.MergeNow();
                t.Incoming.Enqueue(merged);
                b.Step();
                Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "challenger");
            }
            b.App.HandleLine("save");
            Assert.Equal(0, b.Counters.FleetBaseVersion);
            b.Reboot();
            Assert.Equal("flash", b.App.ModelSource);
            Assert.False(b.Member.SendsEveryChannel);
            Assert.Equal(0u, b.Member.BaseVersion);
            b.App.HandleLine("fleet join");
            Network atPublish = null;
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = Copy(b.Network); };
            LearnAndPublish(b);
            byte[] update = t.Published.Skip(delivered).Last(m => m[5] == FleetMessage.KindUpdate);
            delivered = Deliver(t, aggregator, delivered, "after the reboot");
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
            // Exactly the channels that differ from the default model went out.
            Network version0 = ModelFile.Load(VirtualBoardRunner.EmbeddedModel().Bytes, VirtualBoardRunner.EmbeddedModel().Bytes.Length, 0, false).Network;
            int differing = 0, channels = 0;
            ParameterSet own = Snapshot(atPublish), v0 = Snapshot(version0);
            for (int l = 0; l < own.LayerCount; l++)
                for (int ch = 0; ch < own.Channels[l]; ch++)
                {
                    channels++;
                    bool same = own.Bias[l][ch] == v0.Bias[l][ch] && own.MasterExponent[l] == v0.MasterExponent[l] && own.BiasExponent[l] == v0.BiasExponent[l]
                        && own.Master[l].AsSpan(ch * own.RowLength[l], own.RowLength[l]).SequenceEqual(v0.Master[l].AsSpan(ch * own.RowLength[l], own.RowLength[l]));
                    if (!same) differing++;
                }
            Assert.Equal(differing, aggregator.Boards["board1"].Latest.ChannelsSent);
            Assert.True(differing < channels, differing + " of " + channels + " channels differ");
            Assert.True(update.Length < FleetMessage.MaxUpdateBytes(own), update.Length + " B, every channel " + FleetMessage.MaxUpdateBytes(own) + " B");
            Console.WriteLine($"{mode} board after a reboot: update {update.Length} B ({differing} of {channels} channels), every channel {FleetMessage.MaxUpdateBytes(own)} B");
            Assert.DoesNotContain(Lines(b, "err"), m => m.Get("code") == "fleet" && m.Get("msg").Contains("version 0"));

            // A reset and a restore after the boot: the restored checkpoint's base is version 0, whose rows the member
            // bound at the reset holds (it started from the default model), so the baseline stays exact.
            b.App.HandleLine("save");
            b.App.HandleLine("reset confirm");
            b.App.HandleLine("restore");
            Assert.Equal("flash", b.App.ModelSource);
            Assert.False(b.Member.SendsEveryChannel);
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = Copy(b.Network); };
            LearnAndPublish(b);
            Deliver(t, aggregator, delivered, "after the restore");
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
        }

        /// <summary>Rewrites a slot's checkpoint as an older firmware wrote it: only the first olderCount counters, the CRC over that.</summary>
        private static void WriteAsOlderCheckpoint(IFlashStore flash, int slot, int olderCount)
        {
            var image = new byte[flash.SlotCapacity];
            int length = flash.Read(slot, 0, image, image.Length);
            int counters = LittleEndian.GetU16(image, 16);
            Assert.Equal(FirmwareCounters.Count, counters);
            int modelBytes = (int)LittleEndian.GetU32(image, 12);
            Assert.Equal(CheckpointStore.HeaderBytes + modelBytes + 8 * counters + 4 + LittleEndian.GetU16(image, 18) + 4 + 4, length); // + the sequence number after the statistics' CRC
            int end = CheckpointStore.HeaderBytes + modelBytes + 8 * olderCount;
            LittleEndian.PutU16(image, 16, olderCount);
            LittleEndian.PutU16(image, 18, 0); // nor the statistics section (nor its sequence number, flag bit 2)
            LittleEndian.PutU16(image, 6, LittleEndian.GetU16(image, 6) & ~CheckpointStore.FlagStatisticsSequence);
            uint crc = Crc32.Update(0xFFFFFFFFu, image, 0, end) ^ 0xFFFFFFFFu;
            LittleEndian.PutU32(image, end, crc);
            flash.Write(slot, 0, image, end + 4);
        }

        [Fact]
        public void TheFirmwareTakesAMergedModelOverTheEmbeddedBroker()
        {
            FleetConfig config = Config;
            using var broker = EmbeddedBroker.StartAsync(config).GetAwaiter().GetResult().AsDisposable();
            var transport = new MqttBoardTransport(broker.Value.Uri, config, "board1");
            using var b = Board(transport);
            var aggregator = new FleetAggregator(config, Snapshot(b.Network), 0);
            var service = AggregatorService.StartAsync(broker.Value.Uri, config, aggregator).GetAwaiter().GetResult();
            try
            {
                b.App.HandleLine("fleet join");
                Assert.Equal("1", Lines(b, "fleet").Last().Get("connected"));
                byte[] merged = Merged(b.Network, 1, s => s.Bias[Head(s)][1] += 1 << 18);
                service.PublishMerged(merged);
                Assert.True(MqttTests.WaitFor(() => transport.Pending > 0));
                b.Step();
                Assert.Contains(Lines(b, "fleet"), m => m.Get("event") == "taken");
            }
            finally
            {
                service.DisposeAsync().AsTask().GetAwaiter().GetResult();
                transport.Dispose();
            }
        }
    }

    internal sealed class AsyncDisposableHolder<T> : IDisposable where T : IAsyncDisposable
    {
        public T Value { get; }
        public AsyncDisposableHolder(T value) { Value = value; }
        public void Dispose() => Value.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    internal static class AsyncDisposableExtensions
    {
        public static AsyncDisposableHolder<T> AsDisposable<T>(this T value) where T : IAsyncDisposable => new(value);
    }
}
