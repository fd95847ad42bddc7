using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.FleetHost;
using Xunit;

using static TinTin.Fleet.Tests.AggregatorTests;

namespace TinTin.Fleet.Tests
{
    /// <summary>
    /// The state file's journal (FleetAggregatorJournal.cs): an accepted message is one fsynced record, the snapshot is
    /// written only when a version is published, and a restart replays the records to the same state.
    /// </summary>
    public sealed class StateJournalTests : IDisposable
    {
        private const int Boards = 4;
        private readonly string dir = Directory.CreateTempSubdirectory("tintin-journal-").FullName;
        private readonly FleetConfig config = FleetConfig.Demo(Boards);
        private readonly (TinTin.Core.Network Network, FleetMember Member)[] members = new (TinTin.Core.Network, FleetMember)[Boards];
        private string StatePath => Path.Combine(dir, "fleet.state");
        private string JournalPath => FleetAggregator.JournalPath(StatePath);

        public StateJournalTests()
        {
            for (int b = 0; b < Boards; b++)
            {
                members[b] = AggregatorTests.Board(config, b, b + 1);
                members[b].Member.BoardId = config.Boards[b].Id;
            }
        }

        public void Dispose() => Directory.Delete(dir, true);

        /// <summary>The default per-board merge (T100, as `fleet serve`), merging after every board's update.</summary>
        private FleetAggregator Start(string path, StringWriter log = null)
        {
            var aggregator = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), Boards, log)
            {
                SimilarityWidth = FleetDefaults.SimilarityWidth,
                LabelKernelWidth = FleetDefaults.LabelKernelWidth,
                LabelPriorStrength = FleetDefaults.LabelPriorStrength,
                ReceiverRelaxLabelSamples = FleetDefaults.ReceiverRelaxLabels,
            };
            if (path != null) aggregator.UseStateFile(path);
            return aggregator;
        }

        /// <summary>One round's messages: every board's statistics, then its update (the last update merges).</summary>
        private List<(string Board, byte[] Message)> Round(int round)
        {
            var messages = new List<(string, byte[])>();
            for (int b = 0; b < Boards; b++)
                messages.Add((config.Boards[b].Id, StatsOf(members[b].Member, 3 * b, 10 + round + b, b % 2)));
            for (int b = 0; b < Boards; b++)
                messages.Add((config.Boards[b].Id, Update(members[b].Member, (uint)(20 * round + b), (uint)(12 * round))));
            return messages;
        }

        private static void Accept(FleetAggregator aggregator, (string Board, byte[] Message) m)
        {
            AggregatorResult r = aggregator.HandleUpdate(m.Board, m.Message);
            Assert.True(r.Accepted, r.Error);
        }

        /// <summary>A first round (merged: v1..v4), then a second round's messages but its last update: 7 journal records.</summary>
        private (FleetAggregator Aggregator, List<(string Board, byte[] Message)> Journaled, (string Board, byte[] Message) Last) SevenRecordsAfterAMerge(StringWriter log = null)
        {
            FleetAggregator aggregator = Start(StatePath, log);
            foreach (var m in Round(1)) Accept(aggregator, m);
            Assert.Equal((uint)Boards, aggregator.Version);
            List<(string, byte[])> second = Round(2);
            foreach (var m in second.Take(second.Count - 1)) Accept(aggregator, m);
            return (aggregator, second.Take(second.Count - 1).ToList(), second[^1]);
        }

        private string CopyOfTheFiles(string name)
        {
            string copy = Path.Combine(dir, name);
            File.Copy(StatePath, copy);
            File.Copy(JournalPath, FleetAggregator.JournalPath(copy));
            return copy;
        }

        [Fact]
        public void SnapshotsAreWrittenOnlyWhenAVersionIsPublishedAndTheJournalIsEmptiedThen()
        {
            FleetAggregator aggregator = Start(StatePath);
            Assert.Equal(1, aggregator.StateSnapshots); // at start
            long header = new FileInfo(JournalPath).Length;
            byte[] snapshot = File.ReadAllBytes(StatePath);
            List<(string Board, byte[] Message)> round = Round(1);
            for (int i = 0; i < round.Count - 1; i++)
            {
                Accept(aggregator, round[i]);
                Assert.Equal(1, aggregator.StateSnapshots);
                Assert.Equal(i + 1, aggregator.JournalRecords);
                Assert.Equal(snapshot, File.ReadAllBytes(StatePath));
            }
            // O(message): the journal grew by the messages and a 12-byte frame and the board id each, not by the state.
            long journaled = round.Take(round.Count - 1).Sum(m => m.Message.Length + 12 + 1 + m.Board.Length);
            Assert.Equal(header + journaled, new FileInfo(JournalPath).Length);

            AggregatorResult merge = aggregator.HandleUpdate(round[^1].Board, round[^1].Message);
            Assert.Equal(Boards, merge.PerBoard.Count);
            Assert.Equal(2, aggregator.StateSnapshots);
            Assert.Equal(round.Count - 1, aggregator.JournalRecords);
            Assert.Equal(header, new FileInfo(JournalPath).Length); // emptied: the snapshot holds it all
            Assert.NotEqual(snapshot, File.ReadAllBytes(StatePath));
            Assert.Null(aggregator.StateError);
        }

        [Fact]
        public void ARestartAfterJournaledMessagesRestoresTheStateAndTheNextMergeIsTheSame()
        {
            var (aggregator, journaled, last) = SevenRecordsAfterAMerge();
            Assert.Equal(2 * 7, aggregator.JournalRecords); // 7 a round: every message but the merging update
            string copy = CopyOfTheFiles("restarted.state");

            var log = new StringWriter();
            FleetAggregator restarted = Start(copy, log);
            Assert.Contains("7 accepted messages replayed", log.ToString());
            Assert.Equal(aggregator.Version, restarted.Version);
            Assert.Equal(aggregator.Merges, restarted.Merges);
            foreach (FleetBoard board in config.Boards)
            {
                BoardRecord before = aggregator.Boards[board.Id], after = restarted.Boards[board.Id];
                Assert.Equal(before.HasUpdate, after.HasUpdate);
                Assert.Equal(before.Latest.Sequence, after.Latest.Sequence);
                Assert.Equal(before.Stats.Sequence, after.Stats.Sequence);
                Assert.Equal(before.Updates, after.Updates);
                Assert.Equal(before.StatsMessages, after.StatsMessages);
                Assert.Equal(before.BytesReceived, after.BytesReceived);
            }
            // The restart wrote one snapshot of it all and emptied the journal.
            Assert.Equal(1, restarted.StateSnapshots);
            Assert.Equal(new FileInfo(JournalPath).Length - journaled.Sum(m => m.Message.Length + 12 + 1 + m.Board.Length),
                new FileInfo(FleetAggregator.JournalPath(copy)).Length);

            // Every journaled message is refused as a replay, by both.
            foreach (var m in journaled)
            {
                Assert.Contains("replayed", restarted.HandleUpdate(m.Board, m.Message).Error);
                Assert.Contains("replayed", aggregator.HandleUpdate(m.Board, m.Message).Error);
            }

            // The round's last update merges the same models, byte for byte.
            IReadOnlyDictionary<string, byte[]> expected = aggregator.HandleUpdate(last.Board, last.Message).PerBoard;
            IReadOnlyDictionary<string, byte[]> got = restarted.HandleUpdate(last.Board, last.Message).PerBoard;
            Assert.Equal(Boards, expected.Count);
            Assert.Equal(expected.Keys.OrderBy(k => k), got.Keys.OrderBy(k => k));
            foreach (var (board, model) in expected) Assert.Equal(model, got[board]);
        }

        [Fact]
        public void ATornLastRecordIsIgnoredAndItsMessageIsAcceptedAgain()
        {
            var (aggregator, journaled, _) = SevenRecordsAfterAMerge();
            var (board, message) = journaled[^1];
            uint sequence = aggregator.Boards[board].Latest.Sequence;
            byte[] journal = File.ReadAllBytes(JournalPath);
            int recordBytes = message.Length + 12 + 1 + board.Length;

            // A power cut mid-append: the record cut short, or its size written but not all its bytes (zeros, a stale tail).
            byte[] zeros = (byte[])journal.Clone();
            Array.Clear(zeros, zeros.Length - recordBytes, recordBytes);
            byte[] stale = (byte[])journal.Clone();
            stale[^20] ^= 0x40;
            foreach (byte[] torn in new[] { journal[..^5], journal[..^(recordBytes - 3)], zeros, stale })
            {
                string copy = Path.Combine(dir, "torn-" + Guid.NewGuid().ToString("N")[..6] + ".state");
                File.Copy(StatePath, copy);
                File.WriteAllBytes(FleetAggregator.JournalPath(copy), torn);
                var log = new StringWriter();
                FleetAggregator restarted = Start(copy, log);
                Assert.Contains("is a torn append", log.ToString());
                Assert.Contains("6 accepted messages replayed", log.ToString());
                Assert.True(restarted.Boards[board].Latest.Sequence < sequence); // that update was never acknowledged
                Accept(restarted, (board, message));
                Assert.Equal(sequence, restarted.Boards[board].Latest.Sequence);
            }
        }

        [Fact]
        public void ACorruptMiddleRecordOrAJournalOfAnotherSnapshotIsRefusedAndBothFilesAreLeftUntouched()
        {
            var (aggregator, journaled, last) = SevenRecordsAfterAMerge();
            byte[] snapshot = File.ReadAllBytes(StatePath), journal = File.ReadAllBytes(JournalPath);
            int second = 20 + 12 + 1 + journaled[0].Board.Length + journaled[0].Message.Length; // header, then the first record
            byte[] flipped = (byte[])journal.Clone();
            flipped[second + 8 + 10] ^= 0x01; // inside the second record's body
            byte[] badLength = (byte[])journal.Clone();
            badLength[second] ^= 0x01; // the second record's length field

            // Two merges later the snapshot is two generations on: this journal is not its own.
            string later = Path.Combine(dir, "later.state");
            File.Copy(StatePath, later);
            File.Copy(JournalPath, FleetAggregator.JournalPath(later));
            FleetAggregator moving = Start(later);
            Accept(moving, last);
            foreach (var m in Round(3)) Accept(moving, m);
            byte[] laterSnapshot = File.ReadAllBytes(later);

            (string Path, byte[] Snapshot, byte[] Journal, string Says)[] cases =
            {
                (StatePath, snapshot, flipped, "record 2 (at byte"),
                (StatePath, snapshot, flipped, "CRC mismatch (corrupted)"),
                (StatePath, snapshot, badLength, "bad length field"),
                (StatePath, snapshot, journal.Concat(journal[20..second]).ToArray(), "record 8 of 8 (board 'board1') is refused on replay"), // its first record again
                (later, laterSnapshot, journal, "belongs to another snapshot"),
                (StatePath, snapshot, "not a journal at all"u8.ToArray(), "not an aggregator state journal"),
            };
            foreach (var (path, state, bytes, says) in cases)
            {
                File.WriteAllBytes(path, state);
                File.WriteAllBytes(FleetAggregator.JournalPath(path), bytes);
                var fresh = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), Boards);
                var e = Assert.Throws<InvalidDataException>(() => fresh.UseStateFile(path));
                Assert.Contains(FleetAggregator.JournalPath(path), e.Message);
                Assert.Contains(says, e.Message);
                Assert.Equal(state, File.ReadAllBytes(path));
                Assert.Equal(bytes, File.ReadAllBytes(FleetAggregator.JournalPath(path)));
                Assert.Null(fresh.StateFile); // it writes nothing
                if (!says.Contains("on replay")) Assert.Equal(0u, fresh.Version); // a record refused on replay comes after the snapshot was taken
            }

            // A journal without its snapshot (the state file deleted) is refused too, not taken for a fresh start.
            File.Delete(StatePath);
            var orphan = new FleetAggregator(config, AggregatorTests.Version0(FleetNets.Create()), Boards);
            var missing = Assert.Throws<InvalidDataException>(() => orphan.UseStateFile(StatePath));
            Assert.Contains("is missing", missing.Message);
            Assert.False(File.Exists(StatePath));
        }

        /// <summary>
        /// A crash between a merge's snapshot and its new journal leaves the previous journal beside the new snapshot: its
        /// records are all in the snapshot, so it is ignored (said in the log), not refused.
        /// </summary>
        [Fact]
        public void ThePreviousSnapshotsJournalBesideANewSnapshotIsIgnored()
        {
            var (aggregator, _, last) = SevenRecordsAfterAMerge();
            byte[] previous = File.ReadAllBytes(JournalPath);
            Assert.NotNull(aggregator.HandleUpdate(last.Board, last.Message).PerBoard);
            File.WriteAllBytes(JournalPath, previous); // as if the new journal's rename never happened

            var log = new StringWriter();
            FleetAggregator restarted = Start(StatePath, log);
            Assert.Contains("the previous snapshot's journal", log.ToString());
            Assert.Equal(aggregator.Version, restarted.Version);
            foreach (FleetBoard board in config.Boards)
                Assert.Equal(aggregator.Boards[board.Id].Latest.Sequence, restarted.Boards[board.Id].Latest.Sequence);
        }

        /// <summary>A state file written before the journal (format 1, no generation, no journal) loads as before.</summary>
        [Fact]
        public void AStateFileOfTheFormatBeforeTheJournalLoads()
        {
            FleetAggregator aggregator = Start(StatePath);
            foreach (var m in Round(1)) Accept(aggregator, m);
            byte[] current = File.ReadAllBytes(StatePath);
            int at = 12 + 1 + config.Fleet.Length + 4; // payload: fleet (length-prefixed), fingerprint, then the generation
            byte[] older = current[..at].Concat(current[(at + 8)..]).ToArray();
            older[7] = 1;
            BitConverter.TryWriteBytes(older.AsSpan(8), (uint)(older.Length - 16));
            BitConverter.TryWriteBytes(older.AsSpan(older.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(older.AsSpan(0, older.Length - 4)));
            File.WriteAllBytes(StatePath, older);
            File.Delete(JournalPath);

            FleetAggregator restarted = Start(StatePath);
            Assert.Equal(aggregator.Version, restarted.Version);
            Assert.Equal(aggregator.LatestBoardModels.Count, restarted.LatestBoardModels.Count);
            Assert.Equal(2, File.ReadAllBytes(StatePath)[7]); // rewritten in today's format, with its journal
            Assert.True(File.Exists(JournalPath));
            foreach (var m in Round(2)) Accept(restarted, m);
        }
    }
}
