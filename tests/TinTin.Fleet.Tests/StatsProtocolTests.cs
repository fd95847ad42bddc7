using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;
using TinTin.TestSupport;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The similarity-weighted merge as a protocol: the board's signed input statistics (FleetMessage kind 3), the
    /// aggregator verifying and reading them (FleetAggregator.SimilarityWidth), models addressed to one board.
    /// </summary>
    public class StatsProtocolTests
    {
        private static byte[] Update(FleetMember m, uint labelled, uint correct)
        {
            int length = m.WriteUpdate(labelled, correct);
            return m.UpdateBuffer.AsSpan(0, length).ToArray();
        }

        /// <summary>The board observes n inputs, feature i = offset + i + (k % 3) for the k-th, then writes its statistics.</summary>
        private static byte[] Stats(FleetMember m, int n, int offset, int inputExponent = -6)
        {
            var x = new sbyte[6];
            for (int k = 0; k < n; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)(offset + i + k % 3);
                m.ObserveInput(x);
            }
            int length = m.WriteStats(inputExponent, 7);
            return m.StatsBuffer.AsSpan(0, length).ToArray();
        }

        private static FleetMember Member(FleetConfig config, int index, Network n = null) =>
            new FleetMember(n ?? FleetNets.Create(), config.Boards[index].Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = config.Boards[index].Id };

        [Fact]
        public void TheAggregatorStoresTheVerifiedMeansExactly()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var log = new StringWriter();
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0, log);
            FleetMember board = Member(config, 0);
            byte[] message = Stats(board, 10, -40);
            Assert.Equal(FleetMessage.StatsBytes(6, 2), message.Length);
            Assert.Equal(90, message.Length);
            AggregatorResult r = aggregator.HandleUpdate("board1", message);
            Assert.True(r.Accepted, r.Error);
            Assert.True(r.Stats);
            BoardRecord record = aggregator.Boards["board1"];
            Assert.True(record.HasStats);
            Assert.Equal(0, record.Updates);
            Assert.Equal(10u, record.Stats.Samples);
            Assert.Equal(-6, record.Stats.InputExponent);
            Assert.Equal(1u, record.Stats.Sequence);
            // k % 3 over 10 samples: 0,1,2,0,1,2,0,1,2,0 sums to 9; mean·256 = (10·(offset+i) + 9)·256 / 10, truncated.
            for (int i = 0; i < 6; i++) Assert.Equal((int)((10L * (-40 + i) + 9) * 256 / 10), record.Stats.Mean256[i]);
            Assert.Contains("stats board1: seq 1, 10 samples", log.ToString());
            // Later statistics replace them: over every sample so far (20), the next sequence number.
            Assert.True(aggregator.HandleUpdate("board1", Stats(board, 10, -40)).Accepted);
            Assert.Equal(20u, record.Stats.Samples);
            Assert.Equal(2u, record.Stats.Sequence);
        }

        [Fact]
        public void ObservingInputsAndWritingStatisticsAllocateNothing()
        {
            FleetConfig config = FleetConfig.Demo(1);
            FleetMember board = Member(config, 0);
            var x = new sbyte[] { 1, -2, 3, -4, 5, -6 };
            long fewest = Allocations.FewestBytes(() =>
            {
                for (int k = 0; k < 640; k++)
                {
                    board.ObserveInput(x);
                    if (k % 64 == 63) board.WriteStats(-6, (uint)k);
                }
            });
            Assert.Equal(0, fewest);
            Assert.Equal(30, board.StatsPublished);
            Assert.Equal(1920u, board.InputSamples);
        }

        [Fact]
        public void ForgedTruncatedForeignReplayedAndMalformedStatisticsAreRefusedAndChangeNothing()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var log = new StringWriter();
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0, log);
            FleetMember board = Member(config, 0);
            byte[] first = Stats(board, 10, 5);
            byte[] second = Stats(board, 10, 5);
            Assert.True(aggregator.HandleUpdate("board1", second).Accepted);
            BoardRecord record = aggregator.Boards["board1"];
            int[] kept = (int[])record.Stats.Mean256.Clone();

            void Refused(string board, byte[] payload, string why)
            {
                AggregatorResult r = aggregator.HandleUpdate(board, payload);
                Assert.False(r.Accepted, "accepted: " + why);
                Assert.False(string.IsNullOrEmpty(r.Error), why);
                Assert.Equal(kept, record.Stats.Mean256);
                Assert.Equal(2u, record.Stats.Sequence);
            }

            // Forged: every bit of the signed bytes flipped, one at a time.
            for (int bit = 0; bit < (second.Length - HmacSha256.TagBytes) * 8; bit++)
            {
                byte[] forged = (byte[])second.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));
                Refused("board1", forged, "bit " + bit);
            }
            // Truncated: every shorter length.
            for (int length = 0; length < second.Length; length++) Refused("board1", second.AsSpan(0, length).ToArray(), "length " + length);
            // Replayed: the same message again, and the older one.
            Assert.Contains("replayed", aggregator.HandleUpdate("board1", second).Error);
            Assert.Contains("replayed", aggregator.HandleUpdate("board1", first).Error);
            // Another board's bytes on board1's topic: board1's key does not verify them.
            Refused("board1", Stats(Member(config, 1), 4, 0), "board2's statistics");
            // Padded, random bytes with the kind byte of statistics, and nothing.
            Refused("board1", second.Concat(new byte[] { 0 }).ToArray(), "padded");
            var random = new Random(5);
            for (int k = 0; k < 200; k++)
            {
                byte[] junk = new byte[random.Next(0, 200)];
                random.NextBytes(junk);
                if (junk.Length > 5) junk[5] = FleetMessage.KindStats;
                Refused("board1", junk, "random " + k);
            }
            Refused("board1", null, "null");
            Assert.Contains("err stats board1:", log.ToString());
            Assert.Equal(1, record.StatsMessages);
        }

        [Fact]
        public void StatisticsOfAnotherShapeOrFeatureCountAreRefused()
        {
            FleetConfig config = FleetConfig.Demo(1);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0);
            var wide = new FleetMember(Network.CreateMlp(new[] { 7, 16, 2 }, 3, -1, false), config.Boards[0].Key, config.FleetKey, config.MaxMessageBytes, 64);
            var x = new sbyte[7];
            wide.ObserveInput(x);
            int length = wide.WriteStats(-6, 0);
            AggregatorResult r = aggregator.HandleUpdate("board1", wide.StatsBuffer.AsSpan(0, length).ToArray());
            Assert.False(r.Accepted);
            Assert.Contains("shape", r.Error);
            // No sample observed yet: nothing to report.
            var empty = Member(config, 0);
            length = empty.WriteStats(-6, 0);
            Assert.Contains("0 samples", aggregator.HandleUpdate("board1", empty.StatsBuffer.AsSpan(0, length).ToArray()).Error);
        }

        [Fact]
        public void ABoardRefusesAModelAddressedToAnotherBoardAndTakesItsOwn()
        {
            FleetConfig config = FleetConfig.Demo(2);
            ParameterSet model = AggregatorTests.Version0(FleetNets.Create(5));
            var fleetKey = new HmacSha256(config.FleetKey);
            byte[] Addressed(string id, uint version)
            {
                var message = new byte[FleetMessage.AddressedMergedBytes(model, id.Length)];
                Assert.Equal(message.Length, FleetMessage.WriteMerged(message, model, version, 2, 40, FleetMessage.BoardIdBytes(id), fleetKey));
                return message;
            }
            FleetMember board1 = Member(config, 0);
            byte[] forBoard2 = Addressed("board2", 3);
            Assert.False(board1.Receive(forBoard2, forBoard2.Length));
            Assert.Contains("addressed to board 'board2'", board1.LastError);
            Assert.Equal(0u, board1.HighestVersion);   // refused before its version counts
            Assert.False(board1.HasStaged);
            // The id is signed: rewriting it to board1's own breaks the tag.
            byte[] rewritten = (byte[])forBoard2.Clone();
            rewritten[forBoard2.Length - HmacSha256.TagBytes - 2] = (byte)'1';
            Assert.False(board1.Receive(rewritten, rewritten.Length));
            Assert.Contains("HMAC", board1.LastError);
            // A board without an id takes no addressed model; a prefix of the id is another id.
            var anonymous = new FleetMember(FleetNets.Create(), config.Boards[0].Key, config.FleetKey, config.MaxMessageBytes, 64);
            byte[] forBoard1 = Addressed("board1", 4);
            Assert.False(anonymous.Receive(forBoard1, forBoard1.Length));
            byte[] forBoard = Addressed("board", 4);
            Assert.False(board1.Receive(forBoard, forBoard.Length));
            // Its own is taken; the unaddressed fleet-wide format still is too.
            Assert.True(board1.Receive(forBoard1, forBoard1.Length), board1.LastError);
            Assert.Equal(4u, board1.StagedVersion);
            var plain = new byte[FleetMessage.MergedBytes(model)];
            FleetMessage.WriteMerged(plain, model, 5, 2, 40, fleetKey);
            Assert.True(board1.Receive(plain, plain.Length), board1.LastError);
            Assert.Equal(3, board1.Rejected);
            // Truncated addressed models: every length refused, no crash.
            for (int length = 0; length < forBoard1.Length; length++)
                Assert.False(Member(config, 0).Receive(forBoard1.AsSpan(0, length).ToArray(), length));
        }

        /// <summary>Three trained boards; board1 and board2 send statistics with means `near` apart (int8 units), board3 none.</summary>
        private static (FleetAggregator Aggregator, AggregatorResult Result, FleetConfig Config) SimilarityRound(int near, bool board3Stats, int width = 20)
        {
            FleetConfig config = FleetConfig.Demo(3);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 3) { SimilarityWidth = width };
            var members = new FleetMember[3];
            for (int i = 0; i < 3; i++)
            {
                Network n = FleetNets.Create();
                members[i] = Member(config, i, n);
                FleetNets.Train(n, i + 1, 8);
            }
            Assert.True(aggregator.HandleUpdate("board1", Stats(members[0], 16, 0)).Accepted);
            Assert.True(aggregator.HandleUpdate("board2", Stats(members[1], 16, near / 6)).Accepted);
            if (board3Stats) Assert.True(aggregator.HandleUpdate("board3", Stats(members[2], 16, 100)).Accepted);
            AggregatorResult last = null;
            uint[] labelled = { 300, 40, 7 };
            for (int i = 0; i < 3; i++) last = aggregator.HandleUpdate(config.Boards[i].Id, Update(members[i], labelled[i], labelled[i] / 2));
            Assert.True(last.Accepted, last.Error);
            return (aggregator, last, config);
        }

        private static ParameterSet Read(FleetConfig config, byte[] merged, string board)
        {
            var member = Member(config, config.Boards.FindIndex(b => b.Id == board));
            Assert.True(member.Receive(merged, merged.Length), member.LastError);
            var reader = new FleetMessageReader(config.MaxMessageBytes);
            var set = new ParameterSet(FleetNets.Create());
            Assert.True(reader.ReadMerged(merged, merged.Length, new HmacSha256(config.FleetKey), set), reader.Error);
            Assert.True(reader.Addressed);
            return set;
        }

        private static bool Same(ParameterSet a, ParameterSet b)
        {
            for (int l = 0; l < a.LayerCount; l++)
                if (!a.Master[l].SequenceEqual(b.Master[l]) || !a.Bias[l].SequenceEqual(b.Bias[l]) || a.MasterExponent[l] != b.MasterExponent[l]) return false;
            return true;
        }

        [Fact]
        public void TheKernelReadsTheStatisticsMessagesAndABoardWithoutStatisticsGetsTheAllBoardsMerge()
        {
            // The plain all-boards merge of the same three updates, for comparison.
            var plainRound = SimilarityRound(0, true, width: 1);
            plainRound.Aggregator.SimilarityWidth = 0;
            ParameterSet plain = new ParameterSet(FleetNets.Create());
            byte[] plainMessage = plainRound.Aggregator.MergeNow();
            Assert.True(new FleetMessageReader(plainRound.Config.MaxMessageBytes).ReadMerged(plainMessage, plainMessage.Length, new HmacSha256(plainRound.Config.FleetKey), plain));

            // board1 and board2 alike (same means), board3 without statistics.
            var alike = SimilarityRound(0, board3Stats: false);
            Assert.Null(alike.Result.Merged);
            Assert.Equal(3, alike.Result.PerBoard.Count);
            ParameterSet board3 = Read(alike.Config, alike.Result.PerBoard["board3"], "board3");
            Assert.True(Same(plain, board3), "board3 sent no statistics: it gets the all-boards merge");
            Assert.Equal(1, alike.Aggregator.Boards["board3"].Fallbacks);
            Assert.Equal(0, alike.Aggregator.Boards["board1"].Fallbacks);
            // board1 sees board2 (kernel 1024) but not board3 (no statistics: 0): not the plain merge.
            ParameterSet board1Alike = Read(alike.Config, alike.Result.PerBoard["board1"], "board1");
            Assert.False(Same(plain, board1Alike));

            // Only the statistics message differs (board2's means 24 int8 units from board1's, over W = 20): board1 now merges with itself alone.
            var apart = SimilarityRound(24, board3Stats: false);
            ParameterSet board1Apart = Read(apart.Config, apart.Result.PerBoard["board1"], "board1");
            Assert.False(Same(board1Alike, board1Apart));
            Assert.Equal(1u, new FleetMessageReader(apart.Config.MaxMessageBytes).Also(r => r.CheckFrame(apart.Result.PerBoard["board1"], apart.Result.PerBoard["board1"].Length, FleetMessage.KindMerged, new HmacSha256(apart.Config.FleetKey))).Sequence);
            // Versions from one counter: every board's model has its own, all above the previous ones.
            uint[] versions = apart.Result.PerBoard.Values.Select(m => BitConverter.ToUInt32(m, 8)).OrderBy(v => v).ToArray();
            Assert.Equal(new uint[] { 1, 2, 3 }, versions);
            Assert.Equal(3u, apart.Aggregator.Version);
            Assert.All(apart.Aggregator.Boards.Values, b => Assert.Equal(1, b.ModelsSent));
        }
    }

    internal static class ReaderExtensions
    {
        public static FleetMessageReader Also(this FleetMessageReader reader, Action<FleetMessageReader> action) { action(reader); return reader; }
    }
}
