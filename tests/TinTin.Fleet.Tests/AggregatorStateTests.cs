using System;
using System.IO;
using System.Threading.Tasks;
using TinTin.Core;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>The aggregator's state file (`fleet serve --state`): a restart goes on where the aggregator stopped (issue 15, trust).</summary>
    public sealed class AggregatorStateTests : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-aggstate-").FullName;
        private string StatePath => Path.Combine(dir, "fleet.state");

        public void Dispose() => Directory.Delete(dir, true);

        private static byte[] Stats(FleetMember m)
        {
            var x = new sbyte[6];
            for (int k = 0; k < 8; k++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (sbyte)(i + k % 3);
                m.ObserveInput(x);
            }
            int length = m.WriteStats(-6, 7);
            return m.StatsBuffer.AsSpan(0, length).ToArray();
        }

        /// <summary>A new aggregator (a restart) on the demo fleet, from the state file when path is given.</summary>
        private static FleetAggregator Start(FleetConfig config, string path, int mergeEvery = 2, TextWriter log = null)
        {
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), mergeEvery, log);
            if (path != null) aggregator.UseStateFile(path);
            return aggregator;
        }

        /// <summary>Two boards' first updates to an aggregator on the state file, merging after both: v1.</summary>
        private (FleetAggregator Aggregator, (Network Network, FleetMember Member) A, (Network Network, FleetMember Member) B, byte[] V1) FirstMerge(FleetConfig config)
        {
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            FleetAggregator aggregator = Start(config, StatePath);
            aggregator.HandleUpdate("board1", Update(a.Member, 30, 20));
            byte[] v1 = aggregator.HandleUpdate("board2", Update(b.Member, 10, 5)).Merged;
            return (aggregator, a, b, v1);
        }

        private static void Take(FleetMember member, byte[] merged)
        {
            Assert.True(member.Receive(merged, merged.Length), member.LastError);
            Assert.True(member.ApplyStaged());
        }

        [Fact]
        public void ARestartedAggregatorPublishesAboveEveryEarlierVersionAndTheBoardTakesIt()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            FleetAggregator before = Start(config, StatePath);
            Assert.True(before.HandleUpdate("board1", Update(a.Member, 30, 20)).Accepted);
            Take(a.Member, before.HandleUpdate("board2", Update(b.Member, 10, 5)).Merged);
            Assert.True(before.HandleUpdate("board1", Update(a.Member, 31, 21)).Accepted);
            Take(a.Member, before.HandleUpdate("board2", Update(b.Member, 11, 6)).Merged);
            Assert.Equal(2u, a.Member.BaseVersion);

            // What today's bug did: an aggregator without the state starts at 0 and board1 refuses its model.
            FleetAggregator forgetful = Start(config, null);
            forgetful.HandleUpdate("board2", Update(b.Member, 12, 6));
            var fresh = AggregatorTests.Board(config, 0, 3);
            byte[] stale = forgetful.HandleUpdate("board1", Update(fresh.Member, 5, 3)).Merged;
            Assert.Equal(1u, forgetful.Version);
            Assert.False(a.Member.Receive(stale, stale.Length));

            FleetAggregator after = Start(config, StatePath);
            Assert.Equal(2u, after.Version);
            Assert.Equal(2, after.Merges);
            Assert.True(after.HandleUpdate("board1", Update(a.Member, 40, 30)).Accepted);
            AggregatorResult next = after.HandleUpdate("board2", Update(b.Member, 13, 7));
            Assert.True(next.Accepted, next.Error);
            Assert.Equal(3u, next.Version);
            Take(a.Member, next.Merged);
            Assert.Equal(3u, a.Member.BaseVersion);
        }

        [Fact]
        public void ARestartedAggregatorRefusesAReplayOfEachBoardsLastUpdateAndStatistics()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            a.Member.BoardId = "board1";
            FleetAggregator before = Start(config, StatePath, 0);
            byte[] update = Update(a.Member, 30, 20), stats = Stats(a.Member);
            Assert.True(before.HandleUpdate("board1", update).Accepted);
            Assert.True(before.HandleUpdate("board1", stats).Accepted);

            FleetAggregator after = Start(config, StatePath, 0);
            Assert.True(after.Boards["board1"].HasUpdate);
            Assert.Equal(before.Boards["board1"].Latest.Sequence, after.Boards["board1"].Latest.Sequence);
            Assert.Equal(before.Boards["board1"].Stats.Mean256, after.Boards["board1"].Stats.Mean256);
            Assert.Contains("replayed", after.HandleUpdate("board1", update).Error);
            Assert.Contains("replayed", after.HandleUpdate("board1", stats).Error);
            // The board's next messages are fine.
            Assert.True(after.HandleUpdate("board1", Update(a.Member, 31, 21)).Accepted);
            Assert.True(after.HandleUpdate("board1", Stats(a.Member)).Accepted);
            Assert.Equal(2, after.Boards["board1"].Updates);
        }

        [Fact]
        public void ARestartedAggregatorAcceptsAndMergesAnUpdateBasedOnAVersionPublishedBeforeTheRestart()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var (before, a, b, v1) = FirstMerge(config);
            Take(a.Member, v1);
            Take(b.Member, v1);

            FleetAggregator after = Start(config, StatePath, 0);
            Assert.Equal(before.ModelOf(1).Master[0], after.ModelOf(1).Master[0]);
            AggregatorResult r = after.HandleUpdate("board1", Update(a.Member, 31, 21));
            Assert.True(r.Accepted, r.Error);
            Assert.Equal(1u, after.Boards["board1"].Latest.BaseVersion);
            Assert.True(after.HandleUpdate("board2", Update(b.Member, 12, 6)).Accepted);
            byte[] v2 = after.MergeNow();
            Assert.NotNull(v2);
            Take(a.Member, v2);
            Assert.Equal(2u, a.Member.BaseVersion);
        }

        [Fact]
        public void OnlyTheLastKeptVersionsAndTheBoardsBasesStayKnown()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            FleetAggregator aggregator = Start(config, StatePath, 0);
            aggregator.HandleUpdate("board2", Update(b.Member, 10, 5));
            Take(a.Member, aggregator.MergeNow()); // board1 holds v1 but sends nothing based on it yet
            Take(b.Member, aggregator.LatestMessage);
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, 11, 5)).Accepted); // board2's latest is based on v1
            for (int i = 0; i < FleetAggregator.KeptVersions + 5; i++) Assert.NotNull(aggregator.MergeNow());
            Assert.NotNull(aggregator.ModelOf(1)); // board2's latest base stays
            Assert.NotNull(aggregator.ModelOf(aggregator.Version - FleetAggregator.KeptVersions + 1));
            Assert.Null(aggregator.ModelOf(2));
            Take(b.Member, aggregator.LatestMessage);
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, 12, 5)).Accepted);
            Assert.Null(aggregator.ModelOf(1)); // no board's base any more: forgotten
            FleetAggregator after = Start(config, StatePath, 0);
            Assert.Null(after.ModelOf(1));
            Assert.NotNull(after.ModelOf(after.Version));
            Assert.Contains("older than the last 64 versions", after.HandleUpdate("board1", Update(a.Member, 30, 20)).Error);
        }

        [Fact]
        public void PerBoardMergesKeepTheVersionsOfTheLastKeptMergesNotOfTheLastKeptVersions()
        {
            // 3 boards, a per-board merge after every update: 3 versions a merge. Board1 takes its model of the first
            // merge, then stays quiet while more than KeptVersions versions (but fewer merges) are published.
            FleetConfig config = FleetConfig.Demo(3);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            var c = AggregatorTests.Board(config, 2, 3);
            a.Member.BoardId = "board1";
            FleetAggregator aggregator = Start(config, null, 1);
            aggregator.SimilarityWidth = 66;
            AggregatorResult first = aggregator.HandleUpdate("board2", Update(b.Member, 10, 5));
            Take(a.Member, first.PerBoard["board1"]);
            uint basedOn = a.Member.BaseVersion;
            Assert.Equal(3 * FleetAggregator.KeptVersions, aggregator.KeptVersionCount);
            int merges = FleetAggregator.KeptVersions / 2 + 2;
            for (int i = 0; i < merges; i++)
            {
                var board = i % 2 == 0 ? c : b;
                Assert.NotNull(aggregator.HandleUpdate(i % 2 == 0 ? "board3" : "board2", Update(board.Member, (uint)(11 + i), 5)).PerBoard);
            }
            Assert.True(aggregator.Version - basedOn >= FleetAggregator.KeptVersions, "too few versions to prove anything: v" + aggregator.Version);
            AggregatorResult r = aggregator.HandleUpdate("board1", Update(a.Member, 30, 20));
            Assert.True(r.Accepted, r.Error);
        }

        /// <summary>End to end over the embedded broker: broker and aggregator both restart; replays stay refused, the fleet goes on sharing.</summary>
        [Fact]
        public async Task OverTheEmbeddedBrokerTheFleetGoesOnSharingAfterBrokerAndAggregatorRestart()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            var inbox = new byte[config.MaxMessageBytes];
            byte[] oldUpdate;
            await using (EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config))
            {
                FleetAggregator aggregator = Start(config, StatePath);
                await using AggregatorService service = await AggregatorService.StartAsync(broker.Uri, config, aggregator);
                using var ta = new MqttBoardTransport(broker.Uri, config, "board1");
                using var tb = new MqttBoardTransport(broker.Uri, config, "board2");
                Assert.True(ta.Connect(), ta.LastError);
                Assert.True(tb.Connect(), tb.LastError);
                oldUpdate = Update(a.Member, 20, 15);
                Assert.True(ta.PublishUpdate(oldUpdate, oldUpdate.Length));
                Assert.True(tb.PublishUpdate(b.Member.UpdateBuffer, b.Member.WriteUpdate(10, 6)));
                Assert.True(MqttTests.WaitFor(() => ta.Pending > 0), "merged model not delivered");
                int length = MqttTests.NextModel(ta, inbox);
                Take(a.Member, inbox.AsSpan(0, length).ToArray());
            }
            await using (EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config))
            {
                FleetAggregator aggregator = Start(config, StatePath);
                await using AggregatorService service = await AggregatorService.StartAsync(broker.Uri, config, aggregator);
                using var ta = new MqttBoardTransport(broker.Uri, config, "board1");
                using var tb = new MqttBoardTransport(broker.Uri, config, "board2");
                Assert.True(ta.Connect(), ta.LastError);
                Assert.True(tb.Connect(), tb.LastError);
                Assert.True(ta.PublishUpdate(oldUpdate, oldUpdate.Length));
                Assert.True(MqttTests.WaitFor(() => aggregator.Processed == 1), "replayed update not handled");
                Assert.Contains("replayed", aggregator.Boards["board1"].LastError);
                Assert.True(ta.PublishUpdate(a.Member.UpdateBuffer, a.Member.WriteUpdate(30, 25))); // based on v1
                Assert.True(tb.PublishUpdate(b.Member.UpdateBuffer, b.Member.WriteUpdate(12, 7)));
                Assert.True(MqttTests.WaitFor(() => ta.Pending > 0), "merged model not delivered after the restart");
                int length = MqttTests.NextModel(ta, inbox);
                Take(a.Member, inbox.AsSpan(0, length).ToArray());
                Assert.Equal(2u, a.Member.BaseVersion);
                Assert.Equal(1, aggregator.Boards["board1"].Rejected);
            }
        }

        [Fact]
        public void AMissingStateFileStartsFreshAndSaysSo()
        {
            var log = new StringWriter();
            FleetAggregator aggregator = Start(FleetConfig.Demo(2), StatePath, 2, log);
            Assert.Contains($"state {StatePath}: no such file, starting fresh at version 0", log.ToString());
            Assert.True(File.Exists(StatePath));
            Assert.Equal(0u, aggregator.Version);
        }

        [Fact]
        public void ABadStateFileIsAClearErrorAndStaysUntouched()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var (writer, a, b, _) = FirstMerge(config);
            byte[] good = File.ReadAllBytes(StatePath);

            FleetConfig other = FleetConfig.Demo(2);
            other.Fleet = "other";
            string otherPath = Path.Combine(dir, "other.state");
            Start(other, otherPath);
            byte[] foreign = File.ReadAllBytes(otherPath);
            byte[] flipped = (byte[])good.Clone();
            flipped[good.Length / 2] ^= 0x10;

            (byte[] Bytes, string Says)[] cases =
            {
                (good[..(good.Length - 7)], "truncated"),
                (flipped, "CRC mismatch"),
                (foreign, "belongs to fleet 'other'"),
                ("{\"fleet\": \"demo\", \"version\": 3}"u8.ToArray(), "not an aggregator state file"),
                (Array.Empty<byte>(), "truncated"),
            };
            foreach ((byte[] bytes, string says) in cases)
            {
                File.WriteAllBytes(StatePath, bytes);
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2);
                var e = Assert.Throws<InvalidDataException>(() => aggregator.UseStateFile(StatePath));
                Assert.Contains(StatePath, e.Message);
                Assert.Contains(says, e.Message);
                Assert.Equal(bytes, File.ReadAllBytes(StatePath));
                Assert.Null(aggregator.StateFile);
                Assert.Equal(0u, aggregator.Version);
                Assert.False(aggregator.Boards["board1"].HasUpdate);
                // It saves nothing afterwards either.
                aggregator.HandleUpdate("board1", Update(a.Member, 31, 21));
                Assert.Equal(bytes, File.ReadAllBytes(StatePath));
            }

            // A state written with other board keys (a hand-edited or mixed-up file) fails the stored messages' HMAC.
            File.WriteAllBytes(StatePath, good);
            FleetConfig rekeyed = FleetConfig.Demo(2, "another-seed");
            var e2 = Assert.Throws<InvalidDataException>(() => Start(rekeyed, StatePath));
            Assert.Contains("HMAC", e2.Message);
            Assert.Equal(good, File.ReadAllBytes(StatePath));
        }
    }
}
