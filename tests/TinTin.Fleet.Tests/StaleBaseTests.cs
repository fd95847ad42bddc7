using System;
using System.Linq;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// Issue 15, liveness: a board that took version v and then sent nothing while the aggregator merged more than it keeps
    /// (KeptVersions merges) had every later update refused as based on a version too old, until it took a newer model, and
    /// a board in challenger mode never takes: locked out for good. Now the board sends every channel once its base is
    /// <see cref="FleetMember.StaleBaseVersions"/> behind the newest version it verified, and the aggregator accepts an
    /// update with every channel whatever its base (it needs none of the base's rows); a sparse one on a dropped base and
    /// any on a base never published are still refused.
    /// </summary>
    public class StaleBaseTests
    {
        private static int AllChannels(FleetMember m) => m.Shape.Channels.Take(m.Shape.LayerCount).Sum();

        /// <summary>
        /// A take-mode board (FleetMember) takes its first model, then verifies every newer one without taking it (declined,
        /// or waiting after a rollback) and publishes nothing while the fleet merges KeptVersions + 2 times; fleet-wide and
        /// per board (3 boards: 3 versions a merge).
        /// </summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void ATakeModeBoardSilentPastTheAggregatorsWindowIsAcceptedAgain(bool perBoard)
        {
            FleetConfig config = FleetConfig.Demo(3);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            a.Member.BoardId = "board1";
            string dir = System.IO.Directory.CreateTempSubdirectory("tintin-stalebase-").FullName;
            string state = System.IO.Path.Combine(dir, "fleet.state");
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), perBoard ? 1 : 0);
            if (perBoard) aggregator.SimilarityWidth = 66;
            aggregator.UseStateFile(state);
            uint labelled = 10;
            byte[] Merge()
            {
                AggregatorResult r = aggregator.HandleUpdate("board2", Update(b.Member, labelled++, 5));
                Assert.True(r.Accepted, r.Error);
                return perBoard ? r.PerBoard["board1"] : aggregator.MergeNow();
            }
            byte[] first = Merge();
            Assert.True(a.Member.Receive(first, first.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            uint basedOn = a.Member.BaseVersion;
            Assert.NotEqual(0u, basedOn);
            Assert.False(a.Member.SendsEveryChannel);
            // What the board sent before it could tell (no newer version verified yet), held back until after the window.
            byte[] sparseOnGoneBase = Update(a.Member, 30, 20);
            for (int i = 0; i <= FleetAggregator.KeptVersions + 1; i++)
            {
                byte[] model = Merge();
                Assert.True(a.Member.Receive(model, model.Length), a.Member.LastError); // verified, never taken
            }
            Assert.Null(aggregator.ModelOf(basedOn));
            Assert.Equal(basedOn, a.Member.BaseVersion);
            AggregatorResult refused = aggregator.HandleUpdate("board1", sparseOnGoneBase);
            Assert.False(refused.Accepted);
            Assert.Contains("older than the last", refused.Error);
            Assert.Contains("leaves channels out", refused.Error);

            Assert.True(a.Member.BaseMayBeGone);
            Assert.True(a.Member.SendsEveryChannel);
            for (uint k = 0; k < 2; k++)
            {
                AggregatorResult r = aggregator.HandleUpdate("board1", Update(a.Member, 31 + k, 21));
                Assert.True(r.Accepted, r.Error);
                Assert.Equal(AllChannels(a.Member), aggregator.Boards["board1"].Latest.ChannelsSent);
            }
            byte[] after = Merge(); // the merge goes on with the board's update on a base no longer kept
            Assert.NotNull(after);
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, a.Network);

            // A restart loads the board's update on a base the state file does not keep (it needs none) and merges on.
            var restarted = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), perBoard ? 1 : 0);
            if (perBoard) restarted.SimilarityWidth = 66;
            restarted.UseStateFile(state);
            Assert.True(restarted.Boards["board1"].HasUpdate);
            Assert.NotNull(restarted.MergeNow());
            System.IO.Directory.Delete(dir, true);
        }

        [Fact]
        public void AnUpdateWithEveryChannelOnAVersionNeverPublishedIsStillRefused()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0);
            Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, 10, 5)).Accepted);
            byte[] v1 = aggregator.MergeNow();
            Assert.True(a.Member.Receive(v1, v1.Length));
            Assert.True(a.Member.ApplyStaged());
            for (int i = 0; i < FleetMember.StaleBaseVersions; i++)
            {
                byte[] model = aggregator.MergeNow();
                Assert.True(a.Member.Receive(model, model.Length), a.Member.LastError);
            }
            Assert.True(a.Member.SendsEveryChannel);
            byte[] full = Update(a.Member, 30, 20);
            var fresh = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0); // published nothing yet
            AggregatorResult r = fresh.HandleUpdate("board1", full);
            Assert.False(r.Accepted);
            Assert.Contains("based on version 1, which this aggregator never published", r.Error);
            Assert.True(aggregator.HandleUpdate("board1", full).Accepted);
            Assert.Contains("replayed", aggregator.HandleUpdate("board1", full).Error); // replay protection unchanged
        }

        /// <summary>
        /// A board switched to challenger mode after taking v1 (it never takes again) verifies every newer model (its
        /// challenger) and publishes nothing while the fleet merges KeptVersions + 2 times; its updates must still be
        /// accepted, the aggregator's view of it must be its model, and one err line says it sends every channel.
        /// </summary>
        [Fact]
        public void AChallengerBoardSilentPastTheAggregatorsWindowIsNotLockedOut()
        {
            var t = new FakeTransport();
            using var b = BaseRowsCheckpointTests.Board(t, out FleetSettings settings);
            FleetAggregator aggregator = FirmwareFleetTests.DefaultAggregator();
            b.App.HandleLine("fleet join");
            FirmwareFleetTests.LearnAndPublish(b);
            int delivered = FirmwareFleetTests.Deliver(t, aggregator, 0, "before the take");
            t.Incoming.Enqueue(aggregator.MergeNow());
            b.Step();
            Assert.Equal(1u, b.Member.BaseVersion);
            b.App.HandleLine("save");
            settings.Challenger = true;
            settings.KeepOwnHead = true;
            b.Reboot();
            b.App.HandleLine("fleet join");
            Assert.Equal(1u, b.Member.BaseVersion);
            for (int i = 0; i <= FleetAggregator.KeptVersions + 1; i++)
            {
                t.Incoming.Enqueue(aggregator.MergeNow());
                b.Step();
            }
            Assert.Equal(1u, b.Member.BaseVersion);
            Assert.Null(aggregator.ModelOf(1));
            Assert.Equal(delivered, t.Published.Count); // silent all along
            int lines = b.SerialLines.Count;
            Network atPublish = null;
            t.OnPublish = m => { if (m[5] == FleetMessage.KindUpdate) atPublish = BaseRowsCheckpointTests.Copy(b.Network); };
            FirmwareFleetTests.LearnAndPublish(b);
            delivered = FirmwareFleetTests.Deliver(t, aggregator, delivered, "after the window");
            RebindTests.AssertAggregatorHoldsTheBoardsModel(aggregator, atPublish);
            Assert.Equal(AllChannels(b.Member), aggregator.Boards["board1"].Latest.ChannelsSent);
            FirmwareFleetTests.LearnAndPublish(b);
            FirmwareFleetTests.Deliver(t, aggregator, delivered, "the next update");
            var said = BaseRowsCheckpointTests.Lines(b, lines, "err").Where(m => (m.Get("msg") ?? "").Contains("every_channel_from_now_on")).ToList();
            Assert.Single(said);
            Assert.Contains("base_v1_is_66_versions_behind_v67", said[0].Get("msg")); // the protocol writes a token: spaces become _
        }
    }
}
