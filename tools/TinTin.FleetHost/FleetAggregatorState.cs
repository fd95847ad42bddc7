using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Linq;
using System.Text;
using TinTin.Fleet;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The aggregator's state file (`tintin fleet serve --state FILE`), so a restart goes on where it stopped:
    /// the version counter, the versions of the last <see cref="KeptVersions"/> merges (the base-version check and the
    /// merge's bases), and each board's latest accepted update and statistics (their sequence numbers: replays stay
    /// refused). This snapshot is written whole at start and at every published version, atomically (temp file, fsync,
    /// rename, the rename made durable: DirectorySync), so a crash leaves the old file or the new one, never a mix; each
    /// accepted message in between is one record of its journal, FILE.journal (FleetAggregatorJournal.cs).
    ///
    /// Format (little-endian): "TTAGGST" + format byte, u32 payload length, the payload, CRC-32 of everything
    /// before it. The payload keeps messages as they were signed (merged models with the fleet key, boards' updates
    /// and statistics with their keys) and reads them back through FleetMessageReader: one format for the wire and
    /// the disk, and a file edited by hand fails its HMAC. The CRC catches a flipped bit in the counters, which a
    /// text format (JSON) would read as another valid number. Format 2 adds the snapshot's generation (u64, after the
    /// model fingerprint; one more each snapshot), which its journal names; format 1 (no journal) reads as generation 0.
    /// </summary>
    public sealed partial class FleetAggregator
    {
        /// <summary>
        /// Merges whose versions are kept for base-version checks (besides version 0 and every board's latest base): the
        /// last KeptVersions versions of a fleet-wide merge; a per-board merge publishes one version a board, so then
        /// KeptVersions × boards (<see cref="KeptVersionCount"/>), else with more boards than KeptVersions no board's
        /// update based on the previous merge would be accepted.
        /// </summary>
        public const int KeptVersions = 64;

        /// <summary>Published versions kept: those of the last <see cref="KeptVersions"/> merges.</summary>
        public int KeptVersionCount => KeptVersions * (PerBoardMerge ? Math.Max(1, boards.Count) : 1);
        private static readonly byte[] StateMagic = Encoding.ASCII.GetBytes("TTAGGST");
        private const byte StateFormat = 2, StateFormatWithoutGeneration = 1;
        private const int StateHeaderBytes = 12, StateCrcBytes = 4;

        /// <summary>The state file written after every change (null: state in memory only).</summary>
        public string StateFile { get; private set; }

        /// <summary>Snapshot writes whose renames (the snapshot's and its new journal's) were made durable (<see cref="DirectorySync"/>: the directory flushed, or a write-through rename on Windows; 0 where the OS cannot).</summary>
        public int StateDirectorySyncs { get; private set; }

        /// <summary>The last error writing the state file (null when the last write succeeded).</summary>
        public string StateError { get; private set; }

        /// <summary>
        /// Loads the state file and replays its journal when they exist (else starts fresh, and says so), writes a new
        /// snapshot and an empty journal, then keeps them after every change. A file or journal that is not a readable state
        /// of this fleet and model throws <see cref="InvalidDataException"/> naming the file and what is wrong; both are left
        /// as they are (and this aggregator should be dropped: a record refused on replay comes after the others were taken).
        /// </summary>
        public void UseStateFile(string path)
        {
            lock (gate)
            {
                if (StateFile != null) throw new InvalidOperationException("the aggregator already uses state file " + StateFile);
                if (File.Exists(path))
                {
                    List<(string, byte[])> journal = null;
                    LoadStateLocked(path, File.ReadAllBytes(path), generation => journal = ReadJournal(path, generation));
                    ReplayLocked(path, journal);
                    if (journal.Count > 0) log.WriteLine($"state {JournalPath(path)}: {journal.Count} accepted messages replayed");
                    log.WriteLine($"state {path}: version {Version}, {versions.Count - 1} published versions kept, {boards.Values.Count(r => r.HasUpdate)} boards with an update, {boards.Values.Count(r => r.HasStats)} with statistics");
                }
                else if (File.Exists(JournalPath(path)))
                    throw new InvalidDataException($"aggregator state journal {JournalPath(path)}: its state file {path} is missing (a journal without its snapshot); restore the state file or move the journal away (it was left untouched)");
                else log.WriteLine($"state {path}: no such file, starting fresh at version 0 (if the fleet ran before, a board's base above the counter moves it past that base)");
                StateFile = path;
                // An aggregator that keeps state outlives its process: a board's base above its counter means the fleet's
                // state is ahead of the file (lost, older copy): move past it, bounded.
                recoverVersions = true;
                recoveryStart = Version;
                SaveStateLocked();
                if (StateError != null) { StateFile = null; throw new IOException(StateError); }
            }
        }

        /// <summary>
        /// Most the version counter may move past boards' bases over one start of the aggregator (<see cref="RecoverVersionsFromBoards"/>):
        /// 2^24 of the 2^32 versions, so a board whose key leaked, sending a base near 2^32, burns at most 1/256 of the version
        /// space a start (and its own share of every merge it could already poison), not all of it in one message. A fleet
        /// whose lost aggregator had published more than that (2^24 versions: 262,144 per-board merges of 64 boards) is
        /// refused as before, the reason says so: restore its state file.
        /// </summary>
        public const uint MaxRecoveredVersions = 1u << 24;

        /// <summary>
        /// Versions the counter moves beyond the board's base (the versions of <see cref="KeptVersions"/> merges): a board may
        /// have verified models newer than the base it reports (declined or staged ones, or a challenger board, whose base
        /// stays 0) and refuses any model up to the newest it verified; the margin covers those within the aggregator's own
        /// window of the base of the board the aggregator hears from.
        /// </summary>
        public int RecoveryMarginVersions => KeptVersionCount;

        /// <summary>
        /// An aggregator whose state is behind the fleet's (its state file lost, a new host, a file restored from an older
        /// copy, or writes that failed) hears a board's authentic update or statistics (the board's HMAC verified, its
        /// sequence above the last accepted) based on a version above its newest: it moves its counter to that base +
        /// <see cref="RecoveryMarginVersions"/>, within <see cref="MaxRecoveredVersions"/> of where it started, logs one
        /// "state lost or reset: version moved from A to B ..." line and saves the state file. An update with every channel
        /// on such a base is then accepted (it needs no base rows); a sparse one is refused as unknown_base, and the board's
        /// next update carries every channel. Its next model is above every base it heard of. On with
        /// <see cref="UseStateFile"/> (an aggregator meant to outlive its process), off by default: an aggregator in
        /// memory refuses any base it never published.
        /// </summary>
        public bool RecoverVersionsFromBoards
        {
            get { lock (gate) return recoverVersions; }
            set { lock (gate) { recoverVersions = value; recoveryStart = Version; } }
        }
        private bool recoverVersions;
        private uint recoveryStart;           // the counter when recovery was switched on (after the state file loaded)
        private uint recoveredFrom, recoveredTo; // the counter before the first move and after the last (0, 0: none)

        /// <summary>Times the counter moved past a board's base (<see cref="RecoverVersionsFromBoards"/>).</summary>
        public int VersionMoves { get; private set; }

        /// <summary>The highest version the counter may move to: where recovery started + <see cref="MaxRecoveredVersions"/>.</summary>
        private uint RecoveryCeiling => (uint)Math.Min((ulong)recoveryStart + MaxRecoveredVersions, uint.MaxValue - 1);

        /// <summary>A version this aggregator skipped when it moved its counter (never held by it: published before its state was lost).</summary>
        private bool BeforeLostState(uint version) => VersionMoves > 0 && version > recoveredFrom && version <= recoveredTo && !versions.ContainsKey(version);

        /// <summary>
        /// Moves the counter past an authentic, fresh message's base above it (the caller verified both), bounded; true when it
        /// moved. Saved at once: the next model must be above the base even after a restart.
        /// </summary>
        private bool MoveVersionPastLocked(BoardRecord record, uint baseVersion, string what, uint sequence)
        {
            if (!recoverVersions || baseVersion <= Version) return false;
            uint ceiling = RecoveryCeiling;
            if (baseVersion >= ceiling) return false; // refused; the reason (RecoveryRefusal) says why
            uint target = (uint)Math.Min((ulong)baseVersion + (ulong)RecoveryMarginVersions, ceiling);
            if (VersionMoves == 0) recoveredFrom = Version;
            log.WriteLine($"state lost or reset: version moved from {Version} to {target} past board {record.Id}'s base v{baseVersion} ({what} seq {sequence}); its next model is v{target + 1} (an aggregator without the fleet's state; docs/FLEET.md \"An aggregator that lost its state\")");
            Version = target;
            recoveredTo = target;
            VersionMoves++;
            SaveStateLocked();
            return true;
        }

        /// <summary>Why a base above the counter did not move it (appended to the refusal), or "" when recovery is off.</summary>
        private string RecoveryRefusal(uint baseVersion)
        {
            if (!recoverVersions) return "";
            return $"; it is more than {MaxRecoveredVersions} versions above v{recoveryStart}, where this aggregator started, so it does not move its counter there (a board's word moves it at most that far a start): restore the state file of the aggregator that published it";
        }

        /// <summary>Drops published versions older than the last KeptVersionCount unless a board's latest update is based on one.</summary>
        private void ForgetOldVersionsLocked()
        {
            int kept = KeptVersionCount;
            if (Version <= kept) return;
            uint oldest = Version - (uint)kept + 1;
            foreach (uint v in versions.Keys.ToArray())
                if (v != 0 && v < oldest && !boards.Values.Any(r => r.HasUpdate && r.Latest.BaseVersion == v))
                {
                    versions.Remove(v);
                    versionMessages.Remove(v);
                }
        }

        /// <summary>Writes the snapshot of the whole state, then starts its new, empty journal.</summary>
        private void SaveStateLocked()
        {
            if (StateFile == null) return;
            try
            {
                ulong generation = stateGeneration + 1;
                byte[] bytes = StateBytes(generation);
                string temp = StateFile + ".tmp";
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes, 0, bytes.Length);
                    file.Flush(true); // fsync: the bytes are on disk before the rename makes them the state
                }
                // The rename is in the directory: made durable too (Linux, macOS: the directory flushed; Windows: a
                // write-through rename), or a power cut can bring back the old file (or none).
                bool durable = DirectorySync.Replace(temp, StateFile);
                stateGeneration = generation;
                snapshotVersions = StateVersions().ToHashSet();
                StateSnapshots++;
                snapshotDue = true; // until the new journal is there: records appended to the old one would be ignored
                if (StartJournal(generation) && durable) StateDirectorySyncs++;
                snapshotDue = false;
                StateError = null;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // The message stays accepted in memory; the log says the file lags behind, and the next accepted message
                // writes the snapshot again.
                snapshotDue = true;
                StateError = $"cannot write state file {StateFile}: {e.Message}";
                log.WriteLine("err state: " + StateError);
            }
        }

        private byte[] StateBytes(ulong generation)
        {
            var payload = new MemoryStream();
            using (var w = new BinaryWriter(payload, Encoding.UTF8, true))
            {
                w.Write(config.Fleet);
                w.Write(shape.Fingerprint());
                w.Write(generation);
                w.Write(Version);
                w.Write(Merges);
                w.Write(updatesSinceMerge);
                WriteBytes(w, latestMessage);
                uint[] kept = StateVersions().OrderBy(v => v).ToArray();
                w.Write(kept.Length);
                foreach (uint v in kept) { w.Write(v); WriteBytes(w, versionMessages[v]); }
                w.Write(boards.Count);
                foreach (BoardRecord r in boards.Values)
                {
                    w.Write(r.Id);
                    WriteBytes(w, r.HasUpdate ? r.UpdateMessage : null);
                    WriteBytes(w, r.HasStats ? r.StatsMessage : null);
                    w.Write(r.Updates); w.Write(r.StatsMessages); w.Write(r.ModelsSent); w.Write(r.Fallbacks); w.Write(r.Rejected); w.Write(r.BytesReceived);
                }
            }
            var file = new byte[StateHeaderBytes + payload.Length + StateCrcBytes];
            StateMagic.CopyTo(file, 0);
            file[7] = StateFormat;
            BitConverter.TryWriteBytes(file.AsSpan(8), (uint)payload.Length);
            payload.GetBuffer().AsSpan(0, (int)payload.Length).CopyTo(file.AsSpan(StateHeaderBytes));
            BitConverter.TryWriteBytes(file.AsSpan(file.Length - StateCrcBytes), Crc32.HashToUInt32(file.AsSpan(0, file.Length - StateCrcBytes)));
            return file;
        }

        /// <summary>
        /// The versions the state file keeps. A fleet-wide merge: every kept version (the last KeptVersions). A per-board
        /// merge publishes one version a board per merge, so keeping them all made the file grow with boards²
        /// (64 × boards models); a restart needs only every board's latest base (its latest update's merge) and the latest
        /// model addressed to each board (retained again at start; a board's next update is based on it or on its latest
        /// base unless it took an intermediate one, which is then refused as too old until it takes a newer model).
        /// </summary>
        private IEnumerable<uint> StateVersions()
        {
            if (!PerBoardMerge) return versionMessages.Keys;
            var keep = new HashSet<uint>();
            foreach (BoardRecord r in boards.Values)
            {
                if (r.HasUpdate && r.Latest.BaseVersion != 0) keep.Add(r.Latest.BaseVersion);
                if (r.ModelVersion != 0) keep.Add(r.ModelVersion);
            }
            return keep.Where(versionMessages.ContainsKey);
        }

        private static void WriteBytes(BinaryWriter w, byte[] bytes)
        {
            w.Write(bytes?.Length ?? -1);
            if (bytes != null) w.Write(bytes);
        }

        /// <summary>
        /// Checks the whole file, then builds the state aside and only then takes it: a bad file changes nothing. `journal`
        /// reads (and checks) the journal of the file's generation before the state is taken.
        /// </summary>
        private void LoadStateLocked(string path, byte[] file, Action<ulong> journal)
        {
            Exception Bad(string what) => new InvalidDataException($"aggregator state file {path}: {what}; fix or move it (it was left untouched)");
            if (file.Length < StateHeaderBytes + StateCrcBytes) throw Bad($"truncated ({file.Length} bytes, shorter than header and CRC)");
            if (!file.AsSpan(0, StateMagic.Length).SequenceEqual(StateMagic)) throw Bad("not an aggregator state file (no \"TTAGGST\" magic)");
            if (file[7] != StateFormat && file[7] != StateFormatWithoutGeneration) throw Bad($"unsupported state format {file[7]}; this build reads {StateFormatWithoutGeneration} and {StateFormat}");
            uint length = BitConverter.ToUInt32(file, 8);
            if (length != (uint)(file.Length - StateHeaderBytes - StateCrcBytes))
                throw Bad($"truncated or padded: header says {length} payload bytes, the file holds {file.Length - StateHeaderBytes - StateCrcBytes}");
            uint crc = BitConverter.ToUInt32(file, file.Length - StateCrcBytes);
            if (crc != Crc32.HashToUInt32(file.AsSpan(0, file.Length - StateCrcBytes))) throw Bad("CRC mismatch (corrupted)");

            var keptVersions = new Dictionary<uint, ParameterSet>();
            var keptMessages = new Dictionary<uint, byte[]>();
            var boardModels = new Dictionary<string, uint>(); // each board's latest addressed model among the kept versions
            var records = new List<(BoardRecord Record, byte[] Update, byte[] Stats, int[] Counts, long Bytes)>();
            uint version;
            ulong generation = 0;
            int merges, sinceMerge;
            byte[] latest;
            var check = new FleetMessageReader(config.MaxMessageBytes);
            try
            {
                using var r = new BinaryReader(new MemoryStream(file, StateHeaderBytes, (int)length), Encoding.UTF8);
                string fleet = r.ReadString();
                if (fleet != config.Fleet) throw Bad($"it belongs to fleet '{fleet}', this config is fleet '{config.Fleet}'");
                uint fingerprint = r.ReadUInt32();
                if (fingerprint != shape.Fingerprint()) throw Bad($"it was written for another model shape (fingerprint {fingerprint}, this model {shape.Fingerprint()})");
                if (file[7] == StateFormat) generation = r.ReadUInt64();
                version = r.ReadUInt32();
                merges = r.ReadInt32();
                sinceMerge = r.ReadInt32();
                latest = ReadBytes(r, Bad);
                int count = r.ReadInt32();
                if (count < 0 || count > version) throw Bad($"{count} kept versions with latest version {version}");
                for (int i = 0; i < count; i++)
                {
                    uint v = r.ReadUInt32();
                    byte[] message = ReadBytes(r, Bad) ?? throw Bad($"version {v} has no message");
                    var set = new ParameterSet(shape.Channels, shape.RowLength);
                    if (v == 0 || v > version || !check.ReadMerged(message, message.Length, fleetKey, set) || check.Version != v)
                        throw Bad($"kept version {v}: " + (check.Error ?? "not a published version 1.." + version));
                    keptVersions[v] = set;
                    keptMessages[v] = message;
                    if (check.Addressed)
                    {
                        string recipient = check.RecipientText(message);
                        if (!boardModels.TryGetValue(recipient, out uint newest) || v > newest) boardModels[recipient] = v;
                    }
                }
                int boardCount = r.ReadInt32();
                if (boardCount < 0 || boardCount > 100000) throw Bad($"{boardCount} boards");
                for (int i = 0; i < boardCount; i++)
                {
                    string id = r.ReadString();
                    byte[] update = ReadBytes(r, Bad), stats = ReadBytes(r, Bad);
                    var counts = new int[5];
                    for (int c = 0; c < counts.Length; c++) counts[c] = r.ReadInt32();
                    long bytes = r.ReadInt64();
                    if (!boards.TryGetValue(id, out BoardRecord current))
                    {
                        log.WriteLine($"state {path}: board '{id}' is no longer in the fleet config: its state is dropped");
                        continue;
                    }
                    BoardRecord record = NewBoardRecord(id);
                    if (update != null)
                    {
                        if (!check.ReadUpdate(update, update.Length, boardKeys[id], record.Latest)) throw Bad($"board '{id}''s last update: {check.Error}");
                        if (record.Latest.BaseVersion > version || record.Latest.BaseVersion != 0 && !keptVersions.ContainsKey(record.Latest.BaseVersion) && !record.Latest.EveryChannel)
                            throw Bad($"board '{id}''s last update is based on version {record.Latest.BaseVersion}, which the file does not keep");
                    }
                    if (stats != null && !check.ReadStats(stats, stats.Length, boardKeys[id], shape.Fingerprint(), record.Stats))
                    {
                        // Authentic statistics from before the class counts: only the similarity merge reads them, and the
                        // board's next statistics message replaces them, so they go rather than the whole state.
                        if (!check.OlderStatsFormat) throw Bad($"board '{id}''s last statistics: {check.Error}");
                        log.WriteLine($"state {path}: board '{id}''s last statistics are of the older format without class counts: dropped (its next statistics message replaces them)");
                        stats = null;
                    }
                    records.Add((record, update, stats, counts, bytes));
                }
                if (r.BaseStream.Position != r.BaseStream.Length) throw Bad($"{r.BaseStream.Length - r.BaseStream.Position} bytes after the last board");
            }
            catch (EndOfStreamException) { throw Bad("the payload ends early"); }
            catch (FormatException e) { throw Bad(e.Message); }
            if (latest != null && (!check.ReadMerged(latest, latest.Length, fleetKey, new ParameterSet(shape.Channels, shape.RowLength)) || check.Version > version))
                throw Bad("the latest merged model: " + (check.Error ?? $"version {check.Version} is above the counter {version}"));

            journal(generation);

            // Every check passed: take the state.
            stateGeneration = generation;
            Version = version;
            Merges = merges;
            updatesSinceMerge = sinceMerge;
            latestMessage = latest;
            foreach (var (v, set) in keptVersions) { versions[v] = set; versionMessages[v] = keptMessages[v]; }
            foreach (var (loaded, update, stats, counts, bytes) in records)
            {
                BoardRecord record = boards[loaded.Id];
                if (update != null) { record.Latest.CopyFrom(loaded.Latest); record.UpdateMessage = update; record.HasUpdate = true; }
                if (stats != null) { record.Stats.CopyFrom(loaded.Stats); record.StatsMessage = stats; record.HasStats = true; }
                record.Updates = counts[0]; record.StatsMessages = counts[1]; record.ModelsSent = counts[2]; record.Fallbacks = counts[3]; record.Rejected = counts[4];
                record.BytesReceived = bytes;
            }
            foreach (var (id, v) in boardModels)
                if (boards.TryGetValue(id, out BoardRecord record)) { record.ModelVersion = v; record.ModelMessage = keptMessages[v]; }
        }

        private static byte[] ReadBytes(BinaryReader r, Func<string, Exception> bad)
        {
            int n = r.ReadInt32();
            if (n == -1) return null;
            if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw bad($"a message length of {n} bytes runs past the end");
            return r.ReadBytes(n);
        }
    }
}
