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
        /// <summary>The message was a board's input statistics (kind 3), not an update.</summary>
        public bool Stats { get; init; }
        public uint Version { get; init; }
        /// <summary>
        /// The signed receipt (FleetMessage kind 4) for the board whose topic the message came on, to publish on its receipt
        /// topic (FleetTopics.Receipt) after any merged model: every refused update or statistics message, and every accepted
        /// update (an accepted statistics message gets none). Null for a message from an unknown board, or with
        /// <see cref="FleetAggregator.Receipts"/> off.
        /// </summary>
        public byte[] Receipt { get; init; }
        /// <summary>The receipt's outcome (FleetMessage.Receipt*; accepted 0), also without a receipt.</summary>
        public int Outcome { get; init; }
    }

    /// <summary>One contributor in one per-board merge: the input kernel, the label kernel as used (after --receiver-relax-labels; 1024 when not evaluated: no label kernel, or input kernel 0), the final kernel (after --receiver-relax) and the weight (labelled samples × kernel / 1024).</summary>
    public readonly record struct KernelTrace(string Receiver, string Contributor, int Input, int Label, int Kernel, int Weight);

    /// <summary>Per-board figures the aggregator keeps.</summary>
    public sealed class BoardRecord
    {
        public string Id { get; init; }
        public FleetUpdate Latest { get; init; }
        public bool HasUpdate { get; set; }
        /// <summary>The board's latest verified input statistics (FleetMessage kind 3).</summary>
        public FleetStats Stats { get; init; }
        public bool HasStats { get; set; }
        public int StatsMessages { get; set; }
        /// <summary>Merged models this board should have received: fleet-wide ones and those addressed to it.</summary>
        public int ModelsSent { get; set; }
        /// <summary>With a per-board merge: the version of the latest model addressed to this board (0: none yet).</summary>
        public uint ModelVersion { get; internal set; }
        /// <summary>That model as signed (republished retained at start: a restarted embedded broker forgot it).</summary>
        internal byte[] ModelMessage;
        /// <summary>Receipts made for this board's messages (refusals and accepted updates).</summary>
        public int ReceiptsSent { get; set; }
        /// <summary>Models addressed to it that were the plain all-boards merge because it had sent no statistics yet.</summary>
        public int Fallbacks { get; set; }
        /// <summary>Per-board merges not sent to it because they were mostly its own update (<see cref="FleetAggregator.OwnShareSkipPerMille"/>).</summary>
        public int HeldBack { get; set; }
        public int Updates { get; set; }
        public int Rejected { get; set; }
        public long BytesReceived { get; set; }
        public string LastError { get; set; }
        /// <summary>The accepted update and statistics messages as they arrived (signed): what the state file keeps of the board.</summary>
        internal byte[] UpdateMessage, StatsMessage;
    }

    /// <summary>
    /// The aggregator's logic, free of MQTT: verifies each board's update and input statistics with
    /// that board's key (and that their sequence numbers grow: no replay, and an update's base version
    /// is one it published), keeps each board's latest, and merges them (FleetUpdate.Merge: federated averaging weighted
    /// by labelled samples, integer) into a new signed version after every MergeEvery updates or
    /// when asked. Thread-safe: MQTT handlers may call it concurrently.
    /// </summary>
    public sealed partial class FleetAggregator
    {
        private readonly object gate = new();
        private readonly FleetConfig config;
        private readonly ParameterSet shape;
        private readonly Dictionary<uint, ParameterSet> versions = new();
        /// <summary>The signed message of each kept version above 0 (the state file stores these).</summary>
        private readonly Dictionary<uint, byte[]> versionMessages = new();
        private readonly Dictionary<string, BoardRecord> boards = new();
        private readonly Dictionary<string, HmacSha256> boardKeys = new();
        private readonly HmacSha256 fleetKey;
        private readonly FleetMessageReader reader;
        private readonly FleetUpdate incoming;
        private readonly FleetStats incomingStats;
        private readonly ModelMerger merger;
        private TextWriter log; // silenced while the state journal is replayed
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
            incomingStats = new FleetStats(InputFeatures, Classes);
            merger = new ModelMerger(shape);
            foreach (FleetBoard b in config.Boards)
            {
                boards[b.Id] = NewBoardRecord(b.Id);
                boardKeys[b.Id] = new HmacSha256(b.Key);
            }
        }

        public int MergeEvery { get; set; }

        /// <summary>
        /// Answer every refused update or statistics message, and every accepted update, with a signed receipt to the board
        /// (<see cref="AggregatorResult.Receipt"/>; docs/FLEET.md "Receipts"). False: the aggregator before receipts (a
        /// board then falls back on FleetMember.BaseMayBeGone).
        /// </summary>
        public bool Receipts { get; set; } = true;

        /// <summary>
        /// Similarity-weighted merge (host experiment, docs/experiments/fleet.md): kernel(receiver, contributor) in 0..1024, 1024 for
        /// a contributor just like the receiver; each board then gets its own merge, every contributor weighted by its
        /// labelled samples · kernel / 1024, with its own version (one counter, so every board still sees versions rise).
        /// Null: one merge for every board (the protocol's).
        /// </summary>
        public Func<string, string, int> Similarity { get; set; }

        /// <summary>
        /// The similarity-weighted merge as a protocol (`tintin fleet serve --similarity-merge all --similarity-width W`):
        /// W &gt; 0 merges per board with kernel(receiver, contributor) = max(0, W − d)·1024/W, d the L1 distance of the two
        /// boards' latest verified statistics (FleetStats.Kernel), a board itself 1024, a contributor without statistics 0;
        /// a receiver that sent no statistics yet gets the plain all-boards merge (addressed to it). Each model is addressed
        /// to its board inside the signed bytes. 0: off. <see cref="Similarity"/>, when set, is used instead (host experiment).
        /// </summary>
        public int SimilarityWidth { get; set; }

        /// <summary>
        /// Per-board merge (<see cref="Similarity"/> or <see cref="SimilarityWidth"/>): a board whose merge would be at least
        /// this share (per mille) its own update — the others' kernel-weighted labels under 1000 − share of the total — gets no
        /// model from that merge (it would only pull the board back towards its own older self). 0: every board gets its merge.
        /// </summary>
        public int OwnShareSkipPerMille { get; set; }

        /// <summary>The statistics kernel between two boards as the per-board merge reads it (1024 for a receiver without statistics: the all-boards fallback).</summary>
        public int StatsKernelOf(string receiverId, string contributorId)
        {
            lock (gate)
            {
                BoardRecord receiver = boards[receiverId], contributor = boards[contributorId];
                if (receiver != contributor && !receiver.HasStats) return 1024;
                return StatsKernel(receiver, contributor);
            }
        }

        /// <summary>Called for every contributor of every per-board merge with its kernels and weight (measurements: `fleet simulate --trace-kernels`).</summary>
        public Action<KernelTrace> KernelSeen { get; set; }

        /// <summary>Called with every distance (1/256 input units) the statistics kernel computes between two boards (measurements: the width rule).</summary>
        public Action<long> DistanceSeen { get; set; }

        /// <summary>
        /// Label-prior kernel from the boards' signed statistics (docs/experiments/fleet.md, session 8; `fleet serve|simulate
        /// --label-kernel-width P`): every contributor's weight in a per-board merge is also multiplied by
        /// LabelPriorKernel.Of(share_receiver, share_contributor, P)/1024, a board's share the per mille of its labelled
        /// samples with class 1 (FleetStats.ClassLabelled of its latest verified statistics; none yet: 0 samples), shrunk
        /// towards the pooled share of every board's statistics by <see cref="LabelPriorStrength"/> pseudo-samples.
        /// Needs a two-class model. 0: off.
        /// </summary>
        public int LabelKernelWidth { get; set; }
        /// <summary>Pseudo-samples a board's label share is shrunk with towards the fleet's pooled share (LabelKernelWidth).</summary>
        public int LabelPriorStrength { get; set; } = 8;

        /// <summary>The label-prior kernel between two boards from their verified class counts (0..1024; 1024 for a board itself or with LabelKernelWidth 0).</summary>
        public int LabelKernelOf(string receiverId, string contributorId)
        {
            lock (gate)
            {
                (long one, long all) = PooledLabels();
                return LabelKernel(boards[receiverId], boards[contributorId], one, all);
            }
        }

        /// <summary>The fleet's labelled samples of class 1 and of every class, over every board's latest verified statistics.</summary>
        private (long One, long All) PooledLabels()
        {
            long pooledOne = 0, pooledAll = 0;
            foreach (BoardRecord b in boards.Values)
            {
                if (!b.HasStats) continue;
                pooledOne += LabelledOne(b);
                pooledAll += LabelledAll(b);
            }
            return (pooledOne, pooledAll);
        }

        /// <summary>The label kernel with the fleet's pooled counts (<see cref="PooledLabels"/>, summed once a merge: not once a pair).</summary>
        private int LabelKernel(BoardRecord receiver, BoardRecord contributor, long pooledOne, long pooledAll)
        {
            if (LabelKernelWidth <= 0 || receiver == contributor) return 1024;
            if (Classes != 2) throw new InvalidOperationException("the label kernel reads the share of class 1: it needs a two-class model, this one has " + Classes);
            return LabelPriorKernel.Between(LabelledOne(receiver), LabelledAll(receiver), LabelledOne(contributor), LabelledAll(contributor),
                pooledOne, pooledAll, LabelPriorStrength, LabelKernelWidth);
        }

        /// <summary>
        /// Receiver-side relaxation (docs/experiments/fleet.md, session 9; `fleet serve|simulate --receiver-relax R`): in a per-board
        /// merge, every other board's kernel k (input × label, 0..1024) is raised for a receiver with n labelled samples
        /// (the class counts of its latest verified statistics; none yet: n = 0) to k + (1024 − k)·R/(R + n): a board with
        /// few labels, whose own model says little, takes more of the whole fleet; a board with many keeps its kernel.
        /// 0: off.
        /// </summary>
        public int ReceiverRelaxSamples { get; set; }

        /// <summary>k + (1024 − k)·R/(R + n) for a kernel k in 0..1024, R ≥ 0 pseudo-samples, n ≥ 0 labelled samples (integer; R 0: k).</summary>
        public static int Relax(int kernel, int relaxSamples, long labelled)
        {
            if (kernel < 0 || kernel > 1024) throw new ArgumentException("a kernel is in 0..1024");
            if (relaxSamples < 0 || labelled < 0) throw new ArgumentException("the relaxation's samples must not be negative");
            if (relaxSamples == 0) return kernel;
            return kernel + (int)((1024 - kernel) * (long)relaxSamples / (relaxSamples + labelled));
        }

        /// <summary>The command line's check of --own-share-skip (null: fine).</summary>
        public static string OwnShareSkipProblem(int perMille, bool perBoardMerge)
        {
            if (perMille < 0 || perMille > 1000) return "--own-share-skip must be in 0..1000 (per mille)";
            if (perMille > 0 && !perBoardMerge) return "--own-share-skip needs a per-board merge (--similarity-merge all, or --label-kernel-width); the one merge for all sends every board the same model";
            return null;
        }

        /// <summary>The command line's check of --receiver-relax (null: fine).</summary>
        public static string ReceiverRelaxProblem(int relaxSamples, bool perBoardMerge)
        {
            if (relaxSamples < 0 || relaxSamples > 1000000) return "--receiver-relax must be in 0..1000000 (pseudo-samples)";
            if (relaxSamples > 0 && !perBoardMerge) return "--receiver-relax needs a per-board merge on the boards' statistics (--similarity-merge all, or --label-kernel-width)";
            return null;
        }

        /// <summary>
        /// Receiver-side relaxation of the label kernel only (docs/experiments/fleet.md, session 10; `fleet serve|simulate
        /// --receiver-relax-labels R`): in a per-board merge every other board's kernel is k_input × relaxed(k_label) / 1024,
        /// relaxed(kl) = kl + (1024 − kl)·R/(R + n) for a receiver with n labelled samples (none yet: n = 0). A few labels
        /// make the receiver's label share unreliable, so its label kernel counts for less; its input statistics do not
        /// depend on labels, so the input kernel stays: a board whose room the input kernel separates stays separated.
        /// Needs the label kernel (LabelKernelWidth). 0: off.
        /// </summary>
        public int ReceiverRelaxLabelSamples { get; set; }

        /// <summary>k_input × relaxed(k_label) / 1024 (both 0..1024; integer): the per-board merge's kernel with --receiver-relax-labels R.</summary>
        public static int LabelRelaxedKernel(int inputKernel, int labelKernel, int relaxSamples, long labelled)
        {
            if (inputKernel < 0 || inputKernel > 1024) throw new ArgumentException("a kernel is in 0..1024");
            return inputKernel * Relax(labelKernel, relaxSamples, labelled) / 1024;
        }

        /// <summary>The command line's check of --receiver-relax-labels beside --receiver-relax and --label-kernel-width (null: fine).</summary>
        public static string ReceiverRelaxLabelsProblem(int relaxLabelSamples, int relaxSamples, int labelKernelWidth)
        {
            if (relaxLabelSamples < 0 || relaxLabelSamples > 1000000) return "--receiver-relax-labels must be in 0..1000000 (pseudo-samples)";
            if (relaxLabelSamples == 0) return null;
            if (relaxSamples > 0) return "--receiver-relax-labels relaxes the label kernel only and --receiver-relax the whole kernel: give one of them, not both";
            if (labelKernelWidth <= 0) return "--receiver-relax-labels relaxes the label kernel: it needs --label-kernel-width P";
            return null;
        }

        /// <summary>
        /// Receiver-side relaxation of the input kernel only (docs/experiments/fleet.md, session 11; `fleet serve|simulate
        /// --receiver-relax-inputs R`): in a per-board merge every other board's kernel is relaxed(k_input) × k_label / 1024,
        /// relaxed(ki) = ki + (1024 − ki)·R/(R + n) for a receiver with n labelled samples (none yet: n = 0). Session 10's
        /// diagnosis: on `recordings 6` the input kernel, not the label kernel, kept the fewest-label board from the fleet's
        /// best-informed board (2 % of its merge). A board with few labels gains most from boards whose rooms differ in their
        /// inputs but not in what their labels say; a board with many keeps its input kernel; the label kernel (not relaxed
        /// here) is what must keep a room whose labels differ (disjoint board 3, never occupied) apart. An input kernel of 0
        /// because a board has no verified statistics or another input exponent stays 0 (nothing to compare). Needs the input
        /// and the label kernel. 0: off.
        /// </summary>
        public int ReceiverRelaxInputSamples { get; set; }

        /// <summary>The command line's check of --receiver-relax-inputs beside --receiver-relax, the input kernel and the label kernel (null: fine).</summary>
        public static string ReceiverRelaxInputsProblem(int relaxInputSamples, int relaxSamples, int similarityWidth, int labelKernelWidth)
        {
            if (relaxInputSamples < 0 || relaxInputSamples > 1000000) return "--receiver-relax-inputs must be in 0..1000000 (pseudo-samples)";
            if (relaxInputSamples == 0) return null;
            if (relaxSamples > 0) return "--receiver-relax-inputs relaxes the input kernel only and --receiver-relax the whole kernel: give one of them, not both";
            if (similarityWidth <= 0) return "--receiver-relax-inputs relaxes the input kernel of the boards' statistics: it needs --similarity-merge all";
            if (labelKernelWidth <= 0) return "--receiver-relax-inputs keeps the label kernel as the protection of a room unlike the fleet's: it needs --label-kernel-width P (without one the kernel is the input kernel alone, and relaxing it is --receiver-relax)";
            return null;
        }

        private static long LabelledOne(BoardRecord board) => board.HasStats ? board.Stats.ClassLabelled[1] : 0;
        private static long LabelledAll(BoardRecord board) => board.HasStats ? (long)board.Stats.ClassLabelled[0] + board.Stats.ClassLabelled[1] : 0;

        private bool PerBoardMerge => Similarity != null || SimilarityWidth > 0 || LabelKernelWidth > 0;
        public uint Version { get; private set; }
        public int Merges { get; private set; }
        /// <summary>Messages (updates and statistics) handled, accepted or not.</summary>
        public long Processed { get { lock (gate) return processed; } }
        private long processed;
        /// <summary>
        /// With a per-board merge: each board's latest addressed model (board id → signed message; boards without one are
        /// left out), kept in the state file, so a restarted aggregator retains them again on a fresh embedded broker.
        /// </summary>
        public IReadOnlyDictionary<string, byte[]> LatestBoardModels
        {
            get { lock (gate) return boards.Values.Where(r => r.ModelMessage != null).ToDictionary(r => r.Id, r => r.ModelMessage); }
        }

        /// <summary>The latest merged message (null before the first merge).</summary>
        public byte[] LatestMessage { get { lock (gate) return latestMessage; } }
        public IReadOnlyDictionary<string, BoardRecord> Boards => boards;

        public ParameterSet ModelOf(uint version) { lock (gate) return versions.TryGetValue(version, out var v) ? v : null; }

        /// <summary>Merged models a board should have received so far (fleet-wide and addressed to it).</summary>
        public int ModelsFor(string boardId) { lock (gate) return boards.TryGetValue(boardId, out BoardRecord r) ? r.ModelsSent : 0; }

        /// <summary>
        /// A message from a board's update topic: an update (kind 1) or its input statistics (kind 3), told apart by the
        /// kind byte; each is verified with the board's key before anything of it is used.
        /// </summary>
        public AggregatorResult HandleUpdate(string boardId, byte[] payload)
        {
            lock (gate)
            {
                processed++;
                bool stats = FleetMessage.KindOf(payload, payload?.Length ?? 0) == FleetMessage.KindStats;
                if (boardId == null || !boards.TryGetValue(boardId, out BoardRecord record))
                    return Reject(null, (stats ? "statistics" : "update") + " from unknown board '" + boardId + "'", payload, FleetMessage.ReceiptMalformed, stats);
                record.BytesReceived += payload?.Length ?? 0;
                if (stats) return HandleStatsLocked(record, payload);
                if (!reader.ReadUpdate(payload, payload?.Length ?? 0, boardKeys[boardId], incoming))
                    return Reject(record, reader.Error, payload, reader.FailOutcome);
                if (record.HasUpdate && incoming.Sequence <= record.Latest.Sequence)
                    return Reject(record, $"update sequence {incoming.Sequence} is not above {record.Latest.Sequence} (replayed)", payload, FleetMessage.ReceiptReplayed);
                // An update with every channel needs none of its base's rows: accepted whatever its base, so a board whose
                // base this aggregator dropped (it took a model and stayed silent, or never takes: challenger mode) is not
                // locked out. A base above the latest version is refused (this aggregator never published it) unless the
                // counter moves past it: on an authentic, fresh update it means this aggregator's state is behind the fleet's
                // (lost, or restored from an older copy), and with RecoverVersionsFromBoards it moves, bounded (FleetAggregatorState.cs).
                bool unpublished = incoming.BaseVersion > Version;
                if (unpublished) MoveVersionPastLocked(record, incoming.BaseVersion, "update", incoming.Sequence);
                bool baseKept = versions.ContainsKey(incoming.BaseVersion);
                if (!baseKept && (incoming.BaseVersion > Version || !incoming.EveryChannel))
                    return Reject(record, UnknownBase(record, incoming.BaseVersion), payload,
                        unpublished || BeforeLostState(incoming.BaseVersion) ? FleetMessage.ReceiptUnknownBase : FleetMessage.ReceiptBaseGone);
                record.Latest.CopyFrom(incoming);
                record.UpdateMessage = (byte[])payload.Clone();
                record.HasUpdate = true;
                ForgetOldVersionsLocked(); // the board's previous base may have been the only reason to keep an old version
                record.Updates++;
                updatesSinceMerge++;
                log.WriteLine($"update {boardId}: seq {incoming.Sequence}, base v{incoming.BaseVersion}, {incoming.ChannelsSent} channels{(baseKept ? "" : " (every channel: its base is no longer kept)")}, {incoming.Labelled} labelled ({Accuracy(incoming)}), {payload.Length} B");
                bool due = MergeEvery > 0 && updatesSinceMerge >= MergeEvery && !replaying; // a replayed record merged nothing when accepted
                if (due && PerBoardMerge)
                {
                    Dictionary<string, byte[]> perBoard = MergePerBoardLocked();
                    SaveAcceptedLocked(record, payload, perBoard != null);
                    return new AggregatorResult { Accepted = true, PerBoard = perBoard, Version = Version, Receipt = ReceiptLocked(record, payload, FleetMessage.ReceiptAccepted) };
                }
                byte[] merged = due ? MergeLocked() : null;
                // Saved before the caller publishes: a version is on disk before any board can see it (and the update before its receipt).
                SaveAcceptedLocked(record, payload, merged != null);
                return new AggregatorResult { Accepted = true, Merged = merged, Version = Version, Receipt = ReceiptLocked(record, payload, FleetMessage.ReceiptAccepted) };
            }
        }

        private AggregatorResult HandleStatsLocked(BoardRecord record, byte[] payload)
        {
            if (!reader.ReadStats(payload, payload.Length, boardKeys[record.Id], shape.Fingerprint(), incomingStats))
                return Reject(record, reader.Error, payload, reader.FailOutcome, true);
            if (record.HasStats && incomingStats.Sequence <= record.Stats.Sequence)
                return Reject(record, $"statistics sequence {incomingStats.Sequence} is not above {record.Stats.Sequence} (replayed)", payload, FleetMessage.ReceiptReplayed, true);
            // The statistics name the board's base too (signed, sequence checked): a base above the latest version moves the
            // counter as an update's does, so the next model is above it even before the board's next update.
            if (incomingStats.BaseVersion > Version) MoveVersionPastLocked(record, incomingStats.BaseVersion, "statistics", incomingStats.Sequence);
            record.Stats.CopyFrom(incomingStats);
            record.StatsMessage = (byte[])payload.Clone();
            record.HasStats = true;
            record.StatsMessages++;
            log.WriteLine($"stats {record.Id}: seq {incomingStats.Sequence}, {incomingStats.Samples} samples, means/256 [{string.Join(' ', incomingStats.Mean256)}], {payload.Length} B");
            SaveAcceptedLocked(record, payload, false);
            return new AggregatorResult { Accepted = true, Stats = true, Version = Version };
        }

        /// <summary>Merges every board's latest update now; null when no board has labelled anything.</summary>
        public byte[] MergeNow()
        {
            lock (gate)
            {
                byte[] merged = MergeLocked();
                if (merged != null) SaveStateLocked();
                return merged;
            }
        }

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
            versionMessages[Version] = message;
            ForgetOldVersionsLocked();
            latestMessage = message;
            foreach (BoardRecord r in boards.Values) r.ModelsSent++;
            log.WriteLine($"merged v{Version}: {contributors} boards, {labelled} labelled samples, {message.Length} B");
            return message;
        }

        private Dictionary<string, byte[]> MergePerBoardLocked()
        {
            (FleetUpdate[] updates, ParameterSet[] bases, string[] from) = LatestUpdates();
            var result = new Dictionary<string, byte[]>();
            var weights = new int[updates.Length];
            (long pooledOne, long pooledAll) = PooledLabels();
            foreach (BoardRecord receiver in boards.Values)
            {
                long labelled = 0;
                bool fallback = Similarity == null && SimilarityWidth > 0 && !receiver.HasStats;
                for (int b = 0; b < updates.Length; b++)
                {
                    BoardRecord contributor = boards[from[b]];
                    int input = Similarity != null ? Similarity(receiver.Id, from[b]) : fallback || SimilarityWidth <= 0 ? 1024 : StatsKernel(receiver, contributor);
                    if (ReceiverRelaxInputSamples > 0 && Similarity == null && !fallback && SimilarityWidth > 0 && Comparable(receiver, contributor))
                        input = Relax(input, ReceiverRelaxInputSamples, LabelledAll(receiver));
                    int label = 1024, kernel = input;
                    if (input != 0 && LabelKernelWidth > 0)
                    {
                        label = LabelKernel(receiver, contributor, pooledOne, pooledAll);
                        if (ReceiverRelaxLabelSamples > 0 && contributor != receiver) label = Relax(label, ReceiverRelaxLabelSamples, LabelledAll(receiver));
                        kernel = input * label / 1024;
                    }
                    if (ReceiverRelaxSamples > 0 && contributor != receiver) kernel = Relax(kernel, ReceiverRelaxSamples, LabelledAll(receiver));
                    weights[b] = (int)Math.Min(ModelMerger.MaxWeight, (long)updates[b].Labelled * kernel / 1024);
                    KernelSeen?.Invoke(new KernelTrace(receiver.Id, from[b], input, label, kernel, weights[b]));
                    labelled += weights[b];
                }
                if (OwnShareSkipPerMille > 0 && labelled > 0)
                {
                    long own = 0;
                    for (int b = 0; b < updates.Length; b++) if (from[b] == receiver.Id) own = weights[b];
                    if (own * 1000 >= (long)OwnShareSkipPerMille * labelled)
                    {
                        receiver.HeldBack++;
                        log.WriteLine($"no merge for {receiver.Id}: {own * 1000 / labelled} per mille of it would be its own update (own-share skip {OwnShareSkipPerMille})");
                        continue;
                    }
                }
                var merged = new ParameterSet(shape.Channels, shape.RowLength);
                int contributors = FleetUpdate.Merge(merger, updates, bases, weights, updates.Length, merged);
                if (contributors == 0) continue;
                Version++;
                versions[Version] = merged;
                byte[] recipient = FleetMessage.BoardIdBytes(receiver.Id);
                var message = new byte[recipient != null ? FleetMessage.AddressedMergedBytes(merged, recipient.Length) : FleetMessage.MergedBytes(merged)];
                FleetMessage.WriteMerged(message, merged, Version, (uint)contributors, (uint)labelled, recipient, fleetKey);
                versionMessages[Version] = message;
                result[receiver.Id] = message;
                receiver.ModelVersion = Version;
                receiver.ModelMessage = message;
                receiver.ModelsSent++;
                if (fallback) receiver.Fallbacks++;
                log.WriteLine($"merged v{Version} for {receiver.Id}: {contributors} boards, {labelled} weighted labelled samples{(fallback ? " (no statistics yet: the all-boards merge)" : "")}, {message.Length} B");
            }
            if (result.Count == 0) return null;
            ForgetOldVersionsLocked();
            Merges++;
            updatesSinceMerge = 0;
            return result;
        }

        /// <summary>Statistics have one mean per input feature: the first parameter layer's row length (the fleet's MLP input).</summary>
        private int InputFeatures => shape.RowLength[0];

        private BoardRecord NewBoardRecord(string id) => new BoardRecord { Id = id, Latest = new FleetUpdate(shape), Stats = new FleetStats(InputFeatures, Classes) };

        /// <summary>Class counts in the statistics: the last parameter layer's channels (the fleet model's classes).</summary>
        private int Classes => shape.Channels[shape.LayerCount - 1];

        /// <summary>The kernel from verified statistics: 1024 for the board itself, 0 when either has none or their input exponents differ.</summary>
        private int StatsKernel(BoardRecord receiver, BoardRecord contributor)
        {
            if (receiver == contributor) return 1024;
            if (!receiver.HasStats || !contributor.HasStats || receiver.Stats.InputExponent != contributor.Stats.InputExponent) return 0;
            DistanceSeen?.Invoke(receiver.Stats.Distance256(contributor.Stats));
            return FleetStats.Kernel(receiver.Stats, contributor.Stats, SimilarityWidth);
        }

        /// <summary>Two different boards whose verified statistics can be compared (both have them, with the same input exponent).</summary>
        private static bool Comparable(BoardRecord receiver, BoardRecord contributor) =>
            receiver != contributor && receiver.HasStats && contributor.HasStats && receiver.Stats.InputExponent == contributor.Stats.InputExponent;

        /// <summary>Every board's latest update, the merged version it started from (null when no longer kept: the update has every channel), and the board's id (same order).</summary>
        private (FleetUpdate[] Updates, ParameterSet[] Bases, string[] Ids) LatestUpdates()
        {
            BoardRecord[] withUpdates = boards.Values.Where(r => r.HasUpdate).ToArray();
            return (withUpdates.Select(r => r.Latest).ToArray(),
                    withUpdates.Select(r => versions.TryGetValue(r.Latest.BaseVersion, out ParameterSet b) ? b : null).ToArray(), // null: every channel sent
                    withUpdates.Select(r => r.Id).ToArray());
        }

        /// <summary>Why an update's base version is not one this aggregator can merge from.</summary>
        private string UnknownBase(BoardRecord record, uint baseVersion)
        {
            if (baseVersion > Version) return $"update is based on version {baseVersion}, which this aggregator never published" + RecoveryRefusal(baseVersion);
            if (BeforeLostState(baseVersion))
                return $"update is based on version {baseVersion}, from before this aggregator lost its state (it moved its counter from v{recoveredFrom} past the boards' bases to v{recoveredTo}; it never held that version), and leaves channels out: an update with every channel is accepted";
            // Within the kept range but missing: only after a restart in per-board mode, whose state file keeps each board's
            // latest base and latest model but not the models in between (StateVersions).
            if (Version - baseVersion < (uint)KeptVersionCount)
                return $"update is based on version {baseVersion}, a model this board took in between, not kept across the aggregator's restart (its state file keeps each board's latest base and latest model); the board's updates are accepted again once it takes " + (record.ModelVersion != 0 ? $"its latest model, v{record.ModelVersion}, or a newer one" : "a newer model");
            return $"update is based on version {baseVersion}, older than the last {KeptVersionCount} versions this aggregator keeps (those of its last {KeptVersions} merges; latest v{Version}), and leaves channels out (an update with every channel is accepted on any base)";
        }

        private AggregatorResult Reject(BoardRecord record, string error, byte[] payload, int outcome, bool stats = false)
        {
            if (record != null) { record.Rejected++; record.LastError = error; }
            log.WriteLine((stats ? "err stats " : "err update ") + (record?.Id ?? "?") + ": " + error);
            // A refusal changes no state but the board's counters: the file follows when the next accepted message saves it.
            return new AggregatorResult { Accepted = false, Error = error, Stats = stats, Version = Version, Outcome = outcome, Receipt = ReceiptLocked(record, payload, outcome) };
        }

        /// <summary>
        /// The receipt for a message from a known board (null for an unknown one, whose id has no key and no topic, or with
        /// Receipts off): the answered message's kind, sequence and tag bytes as it carries them, the outcome, the board's
        /// last accepted sequence of that kind and the newest version; addressed to the board, signed with the fleet key.
        /// </summary>
        private byte[] ReceiptLocked(BoardRecord record, byte[] payload, int outcome)
        {
            if (!Receipts || record == null || replaying) return null;
            byte[] recipient = FleetMessage.BoardIdBytes(record.Id);
            if (recipient == null) return null; // an id a receipt cannot carry (the config allows more than the board's id rule)
            bool stats = FleetMessage.KindOf(payload, payload?.Length ?? 0) == FleetMessage.KindStats;
            uint lastAccepted = stats ? (record.HasStats ? record.Stats.Sequence : 0) : (record.HasUpdate ? record.Latest.Sequence : 0);
            var receipt = new byte[FleetMessage.ReceiptBytes(recipient.Length)];
            FleetMessage.WriteReceipt(receipt, payload, payload?.Length ?? 0, outcome, lastAccepted, Version, shape.Fingerprint(), recipient, fleetKey);
            record.ReceiptsSent++;
            return receipt;
        }

        /// <summary>Messages (merged models and receipts) a board should have received so far.</summary>
        public int MessagesFor(string boardId) { lock (gate) return boards.TryGetValue(boardId, out BoardRecord r) ? r.ModelsSent + r.ReceiptsSent : 0; }

        private static string Accuracy(FleetUpdate u) => u.Labelled == 0 ? "no labels" : $"{u.Correct * 100.0 / u.Labelled:F1} % right";
    }
}
