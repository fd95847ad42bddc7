using System;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.FleetHost;
using TinTin.VirtualBoard;
using Xunit;
using Xunit.Abstractions;

namespace TinTin.Fleet.Tests
{
    /// <summary>The aggregator's state file: the rename is flushed to the directory, and a per-board merge's file grows with the boards, not boards².</summary>
    public sealed class StateDurabilityTests : IDisposable
    {
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-statedur-").FullName;
        private readonly ITestOutputHelper output;

        public StateDurabilityTests(ITestOutputHelper output) => this.output = output;

        public void Dispose() => Directory.Delete(dir, true);

        private static byte[] Update(FleetMember m, uint labelled, uint correct)
        {
            int length = m.WriteUpdate(labelled, correct);
            return m.UpdateBuffer.AsSpan(0, length).ToArray();
        }

        [Fact]
        public void ADirectoryIsFlushedOnLinuxAndAMissingOneIsAClearError()
        {
            Assert.Equal(OperatingSystem.IsLinux(), DirectorySync.Flush(dir));
            if (!DirectorySync.Supported) return;
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
            Assert.Equal(DirectorySync.Supported ? 3 : 0, aggregator.StateDirectorySyncs); // at start, after the update, after the merge
            Assert.False(File.Exists(Path.Combine(dir, "fleet.state.tmp")));
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
    }
}
