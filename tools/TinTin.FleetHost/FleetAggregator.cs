using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TinTin.Fleet;

namespace TinTin.FleetHost
{
    /// <summary>What the aggregator made of one message.</summary>
    public sealed class AggregatorResult
    {
        public bool Accepted { get; init; }
        public string Error { get; init; }
        /// <summary>A newly merged, signed model to publish, or null.</summary>
        public byte[] Merged { get; init; }
        /// <summary>With <see cref="FleetAggregator.Similarity"/>: one merged, signed model per board (board id → message), else null.</summary>
        public IReadOnlyDictionary<string, byte[]> PerBoard { get; init; }
        public uint Version { get; init; }
    }

    /// <summary>Per-board figures the aggregator keeps.</summary>
    public sealed class BoardRecord
    {
        public string Id { get; init; }
        public FleetUpdate Latest { get; init; }
        public bool HasUpdate { get; set; }
        public int Updates { get; set; }
        public int Rejected { get; set; }
        public long BytesReceived { get; set; }
        public string LastError { get; set; }
    }

    /// <summary>
    /// The aggregator's logic, free of MQTT: verifies each board's update with that board's key
    /// (and that its sequence number grows: no replay, and its base version is one it published),
    /// keeps each board's latest, and merges them (FleetUpdate.Merge: federated averaging weighted
    /// by labelled samples, integer) into a new signed version after every MergeEvery updates or
    /// when asked. Thread-safe: MQTT handlers may call it concurrently.
    /// </summary>
    public sealed class FleetAggregator
    {
        private readonly object gate = new();
        private readonly FleetConfig config;
        private readonly ParameterSet shape;
        private readonly Dictionary<uint, ParameterSet> versions = new();
        private readonly Dictionary<string, BoardRecord> boards = new();
        private readonly Dictionary<string, HmacSha256> boardKeys = new();
        private readonly HmacSha256 fleetKey;
        private readonly FleetMessageReader reader;
        private readonly FleetUpdate incoming;
        private readonly ModelMerger merger;
        private readonly TextWriter log;
        private int updatesSinceMerge;
        private byte[] latestMessage;

        /// <param name="defaultModel">Version 0: the model every board starts from.</param>
        /// <param name="mergeEvery">Merge after so many accepted updates (0: only when <see cref="MergeNow"/> is called).</param>
        public FleetAggregator(FleetConfig config, ParameterSet defaultModel, int mergeEvery, TextWriter log = null)
        {
            config.Validate();
            this.config = config;
            shape = defaultModel;
            versions[0] = defaultModel;
            MergeEvery = mergeEvery;
            this.log = log ?? TextWriter.Null;
            fleetKey = new HmacSha256(config.FleetKey);
            reader = new FleetMessageReader(config.MaxMessageBytes);
            incoming = new FleetUpdate(shape);
            merger = new ModelMerger(shape);
            foreach (FleetBoard b in config.Boards)
            {
                boards[b.Id] = new BoardRecord { Id = b.Id, Latest = new FleetUpdate(shape) };
                boardKeys[b.Id] = new HmacSha256(b.Key);
            }
        }

        public int MergeEvery { get; set; }

        /// <summary>
        /// Similarity-weighted merge (host experiment, docs/FLEET.md): kernel(receiver, contributor) in 0..1024, 1024 for
        /// a contributor just like the receiver; each board then gets its own merge, every contributor weighted by its
        /// labelled samples · kernel / 1024, with its own version (one counter, so every board still sees versions rise).
        /// Null: one merge for every board (the protocol's).
        /// </summary>
        public Func<string, string, int> Similarity { get; set; }
        public uint Version { get; private set; }
        public int Merges { get; private set; }
        /// <summary>Updates handled, accepted or not.</summary>
        public long Processed { get { lock (gate) return processed; } }
        private long processed;
        /// <summary>The latest merged message (null before the first merge).</summary>
        public byte[] LatestMessage { get { lock (gate) return latestMessage; } }
        public IReadOnlyDictionary<string, BoardRecord> Boards => boards;

        public ParameterSet ModelOf(uint version) { lock (gate) return versions.TryGetValue(version, out var v) ? v : null; }

        public AggregatorResult HandleUpdate(string boardId, byte[] payload)
        {
            lock (gate)
            {
                processed++;
                if (boardId == null || !boards.TryGetValue(boardId, out BoardRecord record))
                    return Reject(null, "update from unknown board '" + boardId + "'");
                record.BytesReceived += payload?.Length ?? 0;
                if (!reader.ReadUpdate(payload, payload?.Length ?? 0, boardKeys[boardId], incoming))
                    return Reject(record, reader.Error);
                if (record.HasUpdate && incoming.Sequence <= record.Latest.Sequence)
                    return Reject(record, $"update sequence {incoming.Sequence} is not above {record.Latest.Sequence} (replayed)");
                if (!versions.ContainsKey(incoming.BaseVersion))
                    return Reject(record, $"update is based on version {incoming.BaseVersion}, which this aggregator never published");
                record.Latest.CopyFrom(incoming);
                record.HasUpdate = true;
                record.Updates++;
                updatesSinceMerge++;
                log.WriteLine($"update {boardId}: seq {incoming.Sequence}, base v{incoming.BaseVersion}, {incoming.ChannelsSent} channels, {incoming.Labelled} labelled ({Accuracy(incoming)}), {payload.Length} B");
                bool due = MergeEvery > 0 && updatesSinceMerge >= MergeEvery;
                if (due && Similarity != null) return new AggregatorResult { Accepted = true, PerBoard = MergePerBoardLocked(), Version = Version };
                byte[] merged = due ? MergeLocked() : null;
                return new AggregatorResult { Accepted = true, Merged = merged, Version = Version };
            }
        }

        /// <summary>Merges every board's latest update now; null when no board has labelled anything.</summary>
        public byte[] MergeNow() { lock (gate) return MergeLocked(); }

        private byte[] MergeLocked()
        {
            (FleetUpdate[] updates, ParameterSet[] bases, _) = LatestUpdates();
            var merged = new ParameterSet(shape.Channels, shape.RowLength);
            int contributors = FleetUpdate.Merge(merger, updates, bases, updates.Length, merged);
            if (contributors == 0) return null;
            uint labelled = 0;
            foreach (FleetUpdate u in updates) labelled += u.Labelled;
            Version++;
            Merges++;
            versions[Version] = merged;
            updatesSinceMerge = 0;
            var message = new byte[FleetMessage.MergedBytes(merged)];
            FleetMessage.WriteMerged(message, merged, Version, (uint)contributors, labelled, fleetKey);
            latestMessage = message;
            log.WriteLine($"merged v{Version}: {contributors} boards, {labelled} labelled samples, {message.Length} B");
            return message;
        }

        private Dictionary<string, byte[]> MergePerBoardLocked()
        {
            (FleetUpdate[] updates, ParameterSet[] bases, string[] from) = LatestUpdates();
            var result = new Dictionary<string, byte[]>();
            var weights = new int[updates.Length];
            foreach (BoardRecord receiver in boards.Values)
            {
                long labelled = 0;
                for (int b = 0; b < updates.Length; b++)
                {
                    int kernel = Similarity(receiver.Id, from[b]);
                    weights[b] = (int)Math.Min(ModelMerger.MaxWeight, (long)updates[b].Labelled * kernel / 1024);
                    labelled += weights[b];
                }
                var merged = new ParameterSet(shape.Channels, shape.RowLength);
                int contributors = FleetUpdate.Merge(merger, updates, bases, weights, updates.Length, merged);
                if (contributors == 0) continue;
                Version++;
                versions[Version] = merged;
                var message = new byte[FleetMessage.MergedBytes(merged)];
                FleetMessage.WriteMerged(message, merged, Version, (uint)contributors, (uint)labelled, fleetKey);
                result[receiver.Id] = message;
            }
            if (result.Count == 0) return null;
            Merges++;
            updatesSinceMerge = 0;
            return result;
        }

        /// <summary>Every board's latest update, the merged version it started from, and the board's id (same order).</summary>
        private (FleetUpdate[] Updates, ParameterSet[] Bases, string[] Ids) LatestUpdates()
        {
            BoardRecord[] withUpdates = boards.Values.Where(r => r.HasUpdate).ToArray();
            return (withUpdates.Select(r => r.Latest).ToArray(),
                    withUpdates.Select(r => versions[r.Latest.BaseVersion]).ToArray(),
                    withUpdates.Select(r => r.Id).ToArray());
        }

        private AggregatorResult Reject(BoardRecord record, string error)
        {
            if (record != null) { record.Rejected++; record.LastError = error; }
            log.WriteLine("err update " + (record?.Id ?? "?") + ": " + error);
            return new AggregatorResult { Accepted = false, Error = error, Version = Version };
        }

        private static string Accuracy(FleetUpdate u) => u.Labelled == 0 ? "no labels" : $"{u.Correct * 100.0 / u.Labelled:F1} % right";
    }
}
