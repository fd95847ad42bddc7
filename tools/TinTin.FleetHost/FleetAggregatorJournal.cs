using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Text;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The state file's write-ahead journal, `FILE.journal` beside the snapshot `FILE` (FleetAggregatorState.cs): each accepted
    /// message that publishes no version is appended to it as one record and fsynced before it is acknowledged (its receipt
    /// sent, the call returned), instead of rewriting the whole snapshot (O(boards) bytes a message: 1.4 MB at 256 boards).
    /// The snapshot is written only when a version is published (a merge, the counter moved past a board's base), at start,
    /// after a failed write, and for an update whose base the snapshot does not keep (its replay would need it); each snapshot
    /// write starts a new, empty journal. Loading reads the snapshot, then replays the journal's records in order through
    /// HandleUpdate, the path that accepted them (no merge, no receipt, nothing written), so the state after a restart is the
    /// state before it (but for the counts of refused messages and their bytes, as of the last snapshot: refusals change no
    /// state and are not journaled).
    ///
    /// Format (little-endian): header "TTAGGJL" + format byte, u64 generation of the snapshot it belongs to, CRC-32 of those
    /// 16 bytes; then records: u32 body length L, u32 ~L, the body (board id as a BinaryWriter string, then the message as
    /// verified and accepted), CRC-32 of the body. A new journal is written whole (temp file, fsync, rename: DirectorySync)
    /// after its snapshot, so a crash between the two leaves the previous generation's journal, whose records the new
    /// snapshot already holds: ignored. Only the last append can be torn (each one is fsynced before the next): a record
    /// that runs past the end of the file, ends exactly at it and fails its CRC, or a tail of zero bytes (size extended,
    /// data never written) is that append, never acknowledged: ignored. Anything else that does not read — a record that
    /// fails its CRC or its length check with more after it, a record the replay refuses, a journal of another generation
    /// or without its snapshot — is an unreadable state: InvalidDataException naming the file, both files left untouched.
    /// </summary>
    public sealed partial class FleetAggregator
    {
        private static readonly byte[] JournalMagic = Encoding.ASCII.GetBytes("TTAGGJL");
        private const byte JournalFormat = 1;
        private const int JournalHeaderBytes = 20, RecordFrameBytes = 12; // frame: L, ~L, CRC-32

        /// <summary>The journal beside a state file.</summary>
        public static string JournalPath(string stateFile) => stateFile + ".journal";

        /// <summary>Snapshots (the whole state file) written since <see cref="UseStateFile"/>: at start, at each published version, after a failed write.</summary>
        public int StateSnapshots { get; private set; }

        /// <summary>Records appended to the journal since <see cref="UseStateFile"/> (accepted messages that published no version).</summary>
        public int JournalRecords { get; private set; }

        private ulong stateGeneration;        // the generation of the snapshot on disk (0: none, or a format-1 file)
        private bool snapshotDue;             // a write failed: the next accepted message writes the snapshot, not a record
        private bool replaying;               // replaying the journal at load: no merge, no receipt
        private HashSet<uint> snapshotVersions = new(); // the versions the snapshot on disk keeps (a replayed update needs its base)

        /// <summary>
        /// Makes an accepted message durable before it is acknowledged: the snapshot when it published a version (or after a
        /// failed write, or when the update's base is one the snapshot does not keep: its replay would refuse it), else one
        /// journal record.
        /// </summary>
        private void SaveAcceptedLocked(BoardRecord record, byte[] payload, bool published)
        {
            if (StateFile == null) return;
            bool baseKept = !record.HasUpdate || record.Latest.BaseVersion == 0 || snapshotVersions.Contains(record.Latest.BaseVersion);
            if (published || snapshotDue || !baseKept) { SaveStateLocked(); return; }
            try
            {
                byte[] bytes = JournalRecord(record.Id, payload);
                using (var file = new FileStream(JournalPath(StateFile), FileMode.Open, FileAccess.Write, FileShare.None)) // never creates one: a missing journal fails
                {
                    file.Seek(0, SeekOrigin.End);
                    file.Write(bytes, 0, bytes.Length);
                    file.Flush(true); // fsync: on disk before the message is acknowledged
                }
                JournalRecords++;
                StateError = null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // As a failed snapshot: the message stays accepted in memory, and the next accepted message writes the snapshot
                // (never a record after a half-written one).
                snapshotDue = true;
                StateError = $"cannot append to state journal {JournalPath(StateFile)}: {e.Message}";
                log.WriteLine("err state: " + StateError);
            }
        }

        /// <summary>A new, empty journal for a snapshot's generation, written atomically after it.</summary>
        private bool StartJournal(ulong generation)
        {
            string journal = JournalPath(StateFile), temp = journal + ".tmp";
            var header = new byte[JournalHeaderBytes];
            JournalMagic.CopyTo(header, 0);
            header[7] = JournalFormat;
            BitConverter.TryWriteBytes(header.AsSpan(8), generation);
            BitConverter.TryWriteBytes(header.AsSpan(16), Crc32.HashToUInt32(header.AsSpan(0, 16)));
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(header, 0, header.Length);
                file.Flush(true);
            }
            return DirectorySync.Replace(temp, journal);
        }

        private static byte[] JournalRecord(string boardId, byte[] message)
        {
            var body = new MemoryStream();
            using (var w = new BinaryWriter(body, Encoding.UTF8, true)) { w.Write(boardId); w.Write(message); }
            int length = (int)body.Length;
            var record = new byte[length + RecordFrameBytes];
            BitConverter.TryWriteBytes(record.AsSpan(0), (uint)length);
            BitConverter.TryWriteBytes(record.AsSpan(4), ~(uint)length);
            body.GetBuffer().AsSpan(0, length).CopyTo(record.AsSpan(8));
            BitConverter.TryWriteBytes(record.AsSpan(8 + length), Crc32.HashToUInt32(record.AsSpan(8, length)));
            return record;
        }

        /// <summary>
        /// The journal's records for the snapshot of a generation (none when there is no journal, or it is the previous
        /// generation's: a crash came between a snapshot and its new journal). Reads the whole file before anything is replayed.
        /// </summary>
        private List<(string Board, byte[] Message)> ReadJournal(string stateFile, ulong snapshotGeneration)
        {
            string path = JournalPath(stateFile);
            var records = new List<(string, byte[])>();
            if (!File.Exists(path)) return records;
            byte[] file = File.ReadAllBytes(path);
            Exception Bad(string what) => new InvalidDataException($"aggregator state journal {path}: {what}; fix or move it (it and the state file {stateFile} were left untouched)");
            if (file.Length < JournalHeaderBytes || !file.AsSpan(0, JournalMagic.Length).SequenceEqual(JournalMagic))
                throw Bad("not an aggregator state journal (no \"TTAGGJL\" header)");
            if (file[7] != JournalFormat) throw Bad($"unsupported journal format {file[7]}; this build reads {JournalFormat}");
            if (BitConverter.ToUInt32(file, 16) != Crc32.HashToUInt32(file.AsSpan(0, 16))) throw Bad("header CRC mismatch (corrupted)");
            ulong generation = BitConverter.ToUInt64(file, 8);
            if (snapshotGeneration > 0 && generation == snapshotGeneration - 1)
            {
                log.WriteLine($"state {path}: the previous snapshot's journal (generation {generation}; a restart came before its new one was written): its records are in the snapshot, ignored");
                return records;
            }
            if (generation != snapshotGeneration)
                throw Bad($"it belongs to another snapshot (generation {generation}; the state file is generation {snapshotGeneration})");

            int maxBody = config.MaxMessageBytes + 1024; // a board id and a message
            int at = JournalHeaderBytes;
            while (at < file.Length)
            {
                int left = file.Length - at;
                string which = $"record {records.Count + 1} (at byte {at})";
                if (!file.AsSpan(at).ContainsAnyExcept((byte)0) || left < 8) return Torn(path, records, which, left);
                uint length = BitConverter.ToUInt32(file, at);
                if (BitConverter.ToUInt32(file, at + 4) != ~length || length == 0 || length > maxBody)
                    throw Bad($"{which}: bad length field (corrupted)");
                if (left < length + RecordFrameBytes) return Torn(path, records, which, left);
                var body = file.AsSpan(at + 8, (int)length);
                if (BitConverter.ToUInt32(file, at + 8 + (int)length) != Crc32.HashToUInt32(body))
                {
                    if (left == length + RecordFrameBytes) return Torn(path, records, which, left);
                    throw Bad($"{which}: CRC mismatch (corrupted) with {left - length - RecordFrameBytes} bytes after it");
                }
                try
                {
                    using var r = new BinaryReader(new MemoryStream(file, at + 8, (int)length), Encoding.UTF8);
                    string board = r.ReadString();
                    records.Add((board, r.ReadBytes((int)(r.BaseStream.Length - r.BaseStream.Position))));
                }
                catch (Exception e) when (e is EndOfStreamException || e is FormatException) { throw Bad($"{which}: unreadable body ({e.Message})"); }
                at += (int)length + RecordFrameBytes;
            }
            return records;
        }

        private List<(string, byte[])> Torn(string path, List<(string, byte[])> records, string which, int bytes)
        {
            log.WriteLine($"state {path}: {which}, the last {bytes} bytes, is a torn append (cut by a crash before it was acknowledged): ignored");
            return records;
        }

        /// <summary>Replays the journal's records through the path that accepted them; one it refuses makes the state unreadable.</summary>
        private void ReplayLocked(string stateFile, List<(string Board, byte[] Message)> records)
        {
            TextWriter saved = log;
            long handled = processed;
            log = TextWriter.Null;
            replaying = true;
            try
            {
                for (int i = 0; i < records.Count; i++)
                {
                    if (!boards.ContainsKey(records[i].Board))
                    {
                        saved.WriteLine($"state {JournalPath(stateFile)}: board '{records[i].Board}' is no longer in the fleet config: its record is dropped");
                        continue;
                    }
                    AggregatorResult result = HandleUpdate(records[i].Board, records[i].Message);
                    if (!result.Accepted)
                        throw new InvalidDataException($"aggregator state journal {JournalPath(stateFile)}: record {i + 1} of {records.Count} (board '{records[i].Board}') is refused on replay: {result.Error}; fix or move it (it and the state file {stateFile} were left untouched)");
                }
            }
            finally
            {
                log = saved;
                replaying = false;
                processed = handled; // messages this process handled: replayed ones were handled before
            }
        }
    }
}
