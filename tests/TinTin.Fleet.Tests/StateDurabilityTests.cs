using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TinTin.Core;
using TinTin.FleetHost;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>The aggregator's state file: the rename is flushed to the directory, and a per-board merge's file grows with the boards, not boards².</summary>
    public sealed class StateDurabilityTests : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-statedur-").FullName;
        private readonly ITestOutputHelper output;

        public StateDurabilityTests(ITestOutputHelper output) => this.output = output;

        public void Dispose() => Directory.Delete(dir, true);

        /// <summary>
        /// Session 13: each system's way of making the rename durable. Only the Linux path can run here; the macOS and
        /// Windows paths are compiled, never run (no such machine in this build): this checks which one each system gets.
        /// </summary>
        [Fact]
        public void EachSystemGetsItsDocumentedWayAndThisOneUsesIt()
        {
            Assert.Equal(DirectorySyncMethod.Fsync, DirectorySync.MethodFor(linux: true, macOS: false, windows: false));
            Assert.Equal(DirectorySyncMethod.FullFsync, DirectorySync.MethodFor(linux: false, macOS: true, windows: false));
            Assert.Equal(DirectorySyncMethod.WriteThroughRename, DirectorySync.MethodFor(linux: false, macOS: false, windows: true));
            Assert.Equal(DirectorySyncMethod.None, DirectorySync.MethodFor(linux: false, macOS: false, windows: false)); // FreeBSD, ...
            Assert.Equal(DirectorySync.MethodFor(OperatingSystem.IsLinux(), OperatingSystem.IsMacOS(), OperatingSystem.IsWindows()), DirectorySync.Method);
            Assert.Equal(DirectorySync.Method != DirectorySyncMethod.None, DirectorySync.Supported);
            if (OperatingSystem.IsLinux()) Assert.Equal(DirectorySyncMethod.Fsync, DirectorySync.Method);
        }

        /// <summary>Replace renames over an existing file (flushed where the system can), and a missing source is a clear error that leaves the target.</summary>
        [Fact]
        public void ReplaceRenamesOverTheTargetAndAMissingSourceLeavesItAsItWas()
        {
            string target = Path.Combine(dir, "state"), temp = target + ".tmp";
            File.WriteAllText(target, "old");
            File.WriteAllText(temp, "new");
            Assert.Equal(DirectorySync.Supported, DirectorySync.Replace(temp, target));
            Assert.Equal("new", File.ReadAllText(target));
            Assert.False(File.Exists(temp));
            IOException e = Assert.ThrowsAny<IOException>(() => DirectorySync.Replace(temp, target));
            Assert.Contains("state.tmp", e.Message);
            Assert.Equal("new", File.ReadAllText(target));
        }

        [Fact]
        public void ADirectoryIsFlushedOnLinuxAndAMissingOneIsAClearError()
        {
            Assert.Equal(DirectorySync.Method is DirectorySyncMethod.Fsync or DirectorySyncMethod.FullFsync, DirectorySync.Flush(dir));
            if (!OperatingSystem.IsLinux()) return;
            string missing = Path.Combine(dir, "no-such-folder");
            IOException e = Assert.Throws<IOException>(() => DirectorySync.Flush(missing));
            Assert.Contains(missing, e.Message);
            Assert.Contains("open", e.Message);
        }

        [Fact]
        public void EveryStateWriteFlushesTheDirectoryAfterTheRename()
        {
            FleetConfig config = FleetConfig.Demo(2);
            var a = AggregatorTests.Board(config, 0, 1);
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 0);
            aggregator.UseStateFile(Path.Combine(dir, "fleet.state"));
            Assert.True(aggregator.HandleUpdate("board1", Update(a.Member, 30, 20)).Accepted);
            Assert.NotNull(aggregator.MergeNow());
            Assert.Null(aggregator.StateError);
            // Snapshots at start and after the merge (the update is a journal record: StateJournalTests), each with its new journal.
            Assert.Equal(DirectorySync.Supported ? 2 : 0, aggregator.StateDirectorySyncs);
            Assert.False(File.Exists(Path.Combine(dir, "fleet.state.tmp")));
            Assert.False(File.Exists(Path.Combine(dir, "fleet.state.journal.tmp")));
        }

        /// <summary>
        /// Issue 15: a per-board merge's models are retained on the embedded broker; a restart of broker and aggregator (the
        /// broker forgets them) retains each board's latest model again from the state file, so a board that joins later
        /// still gets its own model at once, as it does with the fleet-wide one.
        /// </summary>
        [Fact]
        public async Task AfterABrokerAndAggregatorRestartABoardJoiningLaterGetsItsOwnModelRetained()
        {
            FleetConfig config = FleetConfig.Demo(2);
            string path = Path.Combine(dir, "fleet.state");
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            a.Member.BoardId = "board1";
            b.Member.BoardId = "board2";
            var inbox = new byte[config.MaxMessageBytes];
            byte[] forA, forB;
            await using (EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config))
            {
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2) { SimilarityWidth = 66 };
                aggregator.UseStateFile(path);
                await using AggregatorService service = await AggregatorService.StartAsync(broker.Uri, config, aggregator);
                using var ta = new MqttBoardTransport(broker.Uri, config, "board1");
                using var tb = new MqttBoardTransport(broker.Uri, config, "board2");
                Assert.True(ta.Connect(), ta.LastError);
                Assert.True(tb.Connect(), tb.LastError);
                Assert.True(ta.PublishUpdate(a.Member.UpdateBuffer, a.Member.WriteUpdate(20, 15)));
                Assert.True(tb.PublishUpdate(b.Member.UpdateBuffer, b.Member.WriteUpdate(10, 6)));
                Assert.True(MqttTests.WaitFor(() => ta.Pending > 0 && tb.Pending > 0), "addressed models not delivered");
                forA = inbox.AsSpan(0, MqttTests.NextModel(ta, inbox)).ToArray();
                forB = inbox.AsSpan(0, MqttTests.NextModel(tb, inbox)).ToArray();
                Assert.Null(aggregator.LatestMessage); // per-board models only
            }
            await using (EmbeddedBroker broker = await EmbeddedBroker.StartAsync(config))
            {
                var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2) { SimilarityWidth = 66 };
                aggregator.UseStateFile(path);
                await using AggregatorService service = await AggregatorService.StartAsync(broker.Uri, config, aggregator);
                Assert.Equal(2, await service.RetainLatestAgainAsync());
                // Both boards join only now: each gets its own model, the one addressed to it before the restart.
                using var lateA = new MqttBoardTransport(broker.Uri, config, "board1");
                using var lateB = new MqttBoardTransport(broker.Uri, config, "board2");
                Assert.True(lateA.Connect(), lateA.LastError);
                Assert.True(lateB.Connect(), lateB.LastError);
                Assert.True(MqttTests.WaitFor(() => lateA.Pending > 0 && lateB.Pending > 0), "retained addressed models not delivered after the restart");
                byte[] gotA = inbox.AsSpan(0, lateA.TryReceive(inbox)).ToArray();
                byte[] gotB = inbox.AsSpan(0, lateB.TryReceive(inbox)).ToArray();
                Assert.Equal(forA, gotA);
                Assert.Equal(forB, gotB);
                Assert.True(a.Member.Receive(gotA, gotA.Length), a.Member.LastError);
                Assert.True(b.Member.Receive(gotB, gotB.Length), b.Member.LastError);
                Assert.False(a.Member.Receive(gotB, gotB.Length)); // board2's model is not board1's
            }
        }

        /// <summary>
        /// A per-board merge on the 6-48-24-2 default model: boards publish, each gets its own model and takes it, for more
        /// merges than the aggregator keeps (KeptVersions). The state file then holds each board's latest base and latest
        /// model (at most 2 × boards models), not 64 × boards; a restart still accepts every board's next update and has
        /// each board's latest model to retain again. Prints the file's size (docs/FLEET.md).
        /// </summary>
        [Theory]
        [InlineData(4)]
        [InlineData(64)]
        public void APerBoardMergesStateFileGrowsWithTheBoardsNotTheirSquare(int boardCount)
        {
            FleetConfig config = FleetConfig.Demo(boardCount);
            PreparedModel prepared = VirtualBoardRunner.EmbeddedModel();
            Network Load() => ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false).Network;
            var version0 = AggregatorTests.Version0(Load());
            Func<string, string, int> ownOnly = (receiver, contributor) => receiver == contributor ? 1024 : 0;
            var aggregator = new FleetAggregator(config, version0, boardCount) { Similarity = ownOnly };
            var members = new FleetMember[boardCount];
            for (int b = 0; b < boardCount; b++)
                members[b] = new FleetMember(Load(), config.Boards[b].Key, config.FleetKey, config.MaxMessageBytes, 64) { BoardId = config.Boards[b].Id };

            int merges = FleetAggregator.KeptVersions + 2;
            for (int round = 1; round <= merges; round++)
            {
                AggregatorResult last = null;
                for (int b = 0; b < boardCount; b++)
                {
                    last = aggregator.HandleUpdate(config.Boards[b].Id, Update(members[b], (uint)(10 * round), (uint)(6 * round)));
                    Assert.True(last.Accepted, last.Error);
                }
                Assert.NotNull(last.PerBoard);
                for (int b = 0; b < boardCount; b++)
                {
                    byte[] own = last.PerBoard[config.Boards[b].Id];
                    Assert.True(members[b].Receive(own, own.Length), members[b].LastError);
                    Assert.True(members[b].ApplyStaged());
                }
            }
            Assert.Equal((uint)(merges * boardCount), aggregator.Version);

            string path = Path.Combine(dir, "fleet.state");
            aggregator.UseStateFile(path);
            long bytes = new FileInfo(path).Length;
            int model = FleetMessage.AddressedMergedBytes(version0, "board".Length + 2);
            output.WriteLine($"state file, per-board merge, 6-48-24-2, {boardCount} boards, {merges} merges (v{aggregator.Version}): {bytes:N0} B ({bytes / (double)model:F1} addressed models of {model:N0} B)");
            // Each board's latest base (the previous merge's version) and its latest model, plus its last update and framing.
            long bound = 2L * boardCount * (model + 8) + boardCount * (FleetMessage.MaxUpdateBytes(version0) + 200) + 200;
            Assert.True(bytes <= bound, $"{bytes} B over {bound} B: the file keeps more than each board's latest base and model");

            // A restart: every board's latest model is there to retain again, and every board's next update is accepted and merged.
            var restarted = new FleetAggregator(config, AggregatorTests.Version0(Load()), boardCount) { Similarity = ownOnly };
            restarted.UseStateFile(path);
            Assert.Equal(aggregator.Version, restarted.Version);
            var models = restarted.LatestBoardModels;
            Assert.Equal(boardCount, models.Count);
            for (int b = 0; b < boardCount; b++)
            {
                string id = config.Boards[b].Id;
                Assert.Equal(aggregator.LatestBoardModels[id], models[id]);
                Assert.Equal(members[b].BaseVersion, restarted.Boards[id].ModelVersion);
            }
            AggregatorResult after = null;
            for (int b = 0; b < boardCount; b++)
            {
                after = restarted.HandleUpdate(config.Boards[b].Id, Update(members[b], (uint)(10 * merges + 5), (uint)(6 * merges)));
                Assert.True(after.Accepted, after.Error);
            }
            Assert.NotNull(after.PerBoard);
            Assert.Equal(boardCount, after.PerBoard.Count);
            Assert.True(after.Version > aggregator.Version);
        }
        /// <summary>
        /// A per-board state file keeps each board's latest base and latest model, not the models in between: after a
        /// restart, an update based on one a board took in between is refused with a reason that says so (not "older than
        /// the last N versions", which it is not), and the board's update is accepted again once it takes its latest model.
        /// </summary>
        [Fact]
        public void AfterARestartAnUpdateOnAnIntermediateModelIsRefusedAsNotKeptAcrossTheRestart()
        {
            FleetConfig config = FleetConfig.Demo(2);
            Func<string, string, int> ownOnly = (receiver, contributor) => receiver == contributor ? 1024 : 0;
            FleetAggregator NewAggregator() => new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), 2) { Similarity = ownOnly };
            var a = AggregatorTests.Board(config, 0, 1);
            var b = AggregatorTests.Board(config, 1, 2);
            a.Member.BoardId = "board1";
            b.Member.BoardId = "board2";
            string path = Path.Combine(dir, "fleet.state");
            FleetAggregator aggregator = NewAggregator();
            aggregator.UseStateFile(path);

            Assert.True(aggregator.HandleUpdate("board1", Update(a.Member, 10, 6)).Accepted);
            AggregatorResult merge1 = aggregator.HandleUpdate("board2", Update(b.Member, 10, 6));
            Assert.NotNull(merge1.PerBoard);
            // board2 alone publishes twice a round: two more merges; board1 takes the first of them (in between) but not the second.
            byte[] between = null;
            for (int round = 2; round <= 3; round++)
            {
                Assert.True(aggregator.HandleUpdate("board2", Update(b.Member, (uint)(10 * round), 6)).Accepted);
                AggregatorResult merge = aggregator.HandleUpdate("board2", Update(b.Member, (uint)(10 * round + 1), 6));
                Assert.NotNull(merge.PerBoard);
                if (round == 2) between = merge.PerBoard["board1"];
            }
            Assert.True(a.Member.Receive(between, between.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            uint betweenVersion = a.Member.BaseVersion;
            Assert.True(betweenVersion < aggregator.Boards["board1"].ModelVersion);
            byte[] onBetween = Update(a.Member, 30, 20);

            FleetAggregator restarted = NewAggregator();
            restarted.UseStateFile(path);
            string error = restarted.HandleUpdate("board1", onBetween).Error;
            Assert.Contains($"based on version {betweenVersion}", error);
            Assert.Contains("not kept across", error);
            Assert.DoesNotContain("older than the last", error);

            byte[] latest = restarted.LatestBoardModels["board1"];
            Assert.True(a.Member.Receive(latest, latest.Length), a.Member.LastError);
            Assert.True(a.Member.ApplyStaged());
            AggregatorResult accepted = restarted.HandleUpdate("board1", Update(a.Member, 40, 28));
            Assert.True(accepted.Accepted, accepted.Error);
        }
    }
}
