using System;
using TinTin.Core;

namespace TinTin.Fleet
{
    /// <summary>What a labelled outcome did to a merge on trial.</summary>
    public static class FleetTrial
    {
        public const int None = 0;
        /// <summary>The trial ended and the merged model stays.</summary>
        public const int Kept = 1;
        /// <summary>The trial ended with lower accuracy: the board went back to its checkpoint.</summary>
        public const int RolledBack = 2;
    }

    /// <summary>
    /// Where a board keeps a merged version's rows outside its fleet member (its checkpoint: the firmware's
    /// CheckpointStore), read straight into the member's buffer so no second model is built.
    /// </summary>
    public interface IBaseRowsSource
    {
        /// <summary>Reads merged version `version`'s rows into `into` (a set of the board's shape); null when done, else why not (into may then hold part of them).</summary>
        string CopyBaseRows(uint version, ParameterSet into);
    }

    /// <summary>
    /// The board's side of the fleet, independent of the transport:
    /// - the update: int8 rows of the channels the board trained since its baseline (the model it
    ///   last took from the fleet, or its default), with its labelled and correct counters;
    /// - a received merged model is verified (size, shape, HMAC with the fleet key, version above
    ///   every version seen: no replay) and staged, nothing else;
    /// - at a safe point (between loop steps, no update half done) the board checkpoints its own
    ///   parameters and takes the staged model; its prequential accuracy on the next
    ///   <see cref="TrialSamples"/> labelled samples is compared with the accuracy on the labelled
    ///   samples before the merge, and a drop of more than <see cref="TolerancePerMille"/> rolls
    ///   back to the checkpoint (and to the previous baseline, so later updates stay consistent).
    /// Every buffer is allocated here; messages and merges allocate nothing.
    /// </summary>
    public sealed partial class FleetMember
    {
        /// <summary>Labelled samples a merged model is judged on.</summary>
        public int TrialSamples = 32;
        /// <summary>Accuracy drop (‰) tolerated before rolling back: labels arrive in correlated bursts.</summary>
        public int TolerancePerMille = 30;
        /// <summary>Fewer labelled outcomes than this before a merge: nothing to compare, the merge is kept.</summary>
        public int MinimumHistory = 8;
        /// <summary>Most doublings of the wait after rollbacks in a row (the wait is TrialSamples · 2^(rollbacks in a row - 1) labels).</summary>
        public int MaxBackoffDoublings = 4;
        /// <summary>Labelled samples a trial needs before it may end early (its outcome already decided).</summary>
        public int EarlyDecisionAfter = 8;
        /// <summary>
        /// Trial scaled to the board's label rate (0 here: off, every trial is TrialSamples labels; the firmware sets 100,
        /// FleetSettings.DefaultTrialLabelRatePerMille, since session 14). A board whose
        /// labelled share of its samples so far (its class counts over its observed inputs, per mille) is below this
        /// judges a take on TrialSamples · share / TrialLabelRatePerMille labels (rounded up, at least
        /// <see cref="MinimumTrialLabels"/>), and waits that many labels, doubled per rollback in a row, after a
        /// rollback: every trial then lasts about the time a board labelling this share needs for TrialSamples labels,
        /// so a board with few labels is not in trial for most of its run (docs/experiments/fleet.md, "Session 12").
        /// </summary>
        public int TrialLabelRatePerMille;
        /// <summary>Fewest labels a trial scaled to the label rate lasts (TrialLabelRatePerMille; at most TrialSamples).</summary>
        public int MinimumTrialLabels = 8;

        private readonly Network network;
        private readonly ParameterSet baseline;          // what the update is a difference to
        private readonly ParameterSet previousBaseline;  // baseline before the merge on trial
        private readonly ParameterSet checkpoint;        // the board's own parameters before the merge on trial
        private readonly ParameterSet staged;            // verified merged model waiting for a safe point
        private readonly ParameterSet incoming;          // scratch: a merged model being read (a failed read leaves staged intact), or the blend
        private readonly HmacSha256 boardKey;
        private readonly HmacSha256 fleetKey;
        private readonly FleetMessageReader reader;
        private readonly byte[] updateBuffer;            // [MaxUpdateBytes]
        private readonly long[] inputSums;               // [input features] sum of every normalised int8 input so far
        private readonly uint[] classLabelled;           // [classes] samples labelled with each class so far
        private readonly byte[] statsBuffer;             // [StatsBytes(input features, classes)]
        private uint inputSamples, statsSequence, fingerprint;
        private byte[] boardId;                          // ASCII id: an addressed model for another board is refused
        private readonly bool[] recent;                  // [RecentWindow] ring of labelled outcomes
        private int recentCount, recentNext, recentCorrect;

        private readonly ModelMerger blender;             // the board's own model with the fleet's
        private uint baseVersion, previousBaseVersion, highestVersion, stagedVersion, stagedLabelled;
        // Whether baseline (previousBaseline) holds exactly the rows of merged version baseVersion (previousBaseVersion; 0:
        // the default model). Not after a boot from a checkpoint: the loaded parameters learned after their base, and an
        // update that left channels out would have the aggregator fill them from its copy of that version, not this board's.
        private bool baselineExact = true, previousBaselineExact;
        private bool continued;                          // ContinueFrom carried the previous member's bases
        // The base of the last update written without every channel, and of the last such update the transport took:
        // the aggregator keeps the base of each board's latest update, so after one delivered on base v it still holds v.
        private uint sparseWrittenOn, sparseDeliveredOn;
        private bool sparseWritten, sparseDelivered;
        private bool hasStaged, inTrial, hasFleetModel;
        private uint fleetModelVersion;
        private int trialTotal, trialCorrect, accuracyBeforePerMille;
        private int scaledTrialLabels;                   // the trial on now (and its rollback's wait), with TrialLabelRatePerMille
        private int rollbacksInARow, waitLabels;
        private HistoryRing trialHistory;                // paired trial: the learner's recent samples (null: the unpaired trial)
        private int trialInputExponent, trialBetter, trialWorse;
        private long judgedUpToMs;

        /// <summary>Paired trial: labelled samples the taken model may get wrong beyond the board's own (checkpoint) model before it is rolled back.</summary>
        public int PairedTolerance = 1;
        /// <summary>With the learner's history, judge a taken model against the checkpoint on the same samples (false: the unpaired trial).</summary>
        public bool PairedTrial = true;
        private uint sequence;

        /// <summary>Stored samples the blend may predict worse than the board's own model before it is declined.</summary>
        public int ReplayTolerance = 1;

        /// <summary>
        /// Recently labelled samples (the learner's history ring) the blend may predict worse than the
        /// board's own model before it is declined; negative: no check on the history.
        /// </summary>
        public int HistoryTolerance = 0;

        /// <summary>The board's own labels count this many times in the blend (1: plain labelled-sample weighting).</summary>
        public int OwnWeightFactor = 1;

        /// <summary>Keep the board's own last parameter layer (a personalised head): only the layers below it come from the fleet.</summary>
        public bool KeepOwnHead;

        /// <summary>
        /// Agreement budget (docs/FLEET.md, "agreement on unlabelled samples"): samples of the learner's
        /// history ring (labelled or not) whose prediction the blend may change from the board's current
        /// model's before the board takes a smaller step towards it (AgreementHalvings) or declines it;
        /// negative: no agreement check. Needs <see cref="ReserveAgreement"/> at start-up.
        /// </summary>
        public int AgreementBudget = -1;
        /// <summary>Halvings of the step towards the blend tried when it changes too many predictions (0: all or nothing).</summary>
        public int AgreementHalvings;
        /// <summary>Extra changed predictions allowed per labelled history sample the blend gets right and the current model wrong, beyond those it gets wrong and the current model right.</summary>
        public int AgreementEvidence;
        private sbyte[] ownPrediction;                    // [history capacity] the current model's predictions of the history ring, before a blend
        /// <summary>Changed predictions of the blend at the last agreement check, and the halvings the last take used.</summary>
        public int LastChanged, LastHalvings;
        /// <summary>Takes with a smaller step (halved at least once), and blends declined by the agreement budget.</summary>
        public int Narrowed, AgreementDeclined;

        /// <summary>Why a board in an int8 training mode (int8, int8r) cannot join a fleet.</summary>
        public const string NoMastersMessage = "this board keeps no int16 master weights (training mode FusedInt8 or FusedInt8Residue): the fleet merges masters, so it cannot join a fleet";

        public int Published, Accepted, Declined, Kept, RolledBack, Rejected, ChallengersBuilt;
        /// <summary>Blends declined because they predicted the stored labelled samples (the replay buffer), or the recently labelled history, worse than the board's own model (a blend can be both).</summary>
        public int DeclinedOnStored, DeclinedOnHistory;
        public long BytesSent, BytesReceived;
        public string LastError;

        public FleetMember(Network network, byte[] boardKey, byte[] fleetKey, int maxMessageBytes, int recentWindow)
        {
            if (network == null) throw new ArgumentException("a fleet member needs the board's network");
            if (recentWindow < 1) throw new ArgumentException("the accuracy window needs at least one sample");
            if (!ParameterSet.HasMasterWeights(network)) throw new ArgumentException(NoMastersMessage);
            this.network = network;
            baseline = new ParameterSet(network);
            previousBaseline = new ParameterSet(network);
            checkpoint = new ParameterSet(network);
            staged = new ParameterSet(network);
            incoming = new ParameterSet(network);
            blender = new ModelMerger(baseline);
            this.boardKey = new HmacSha256(boardKey);
            this.fleetKey = new HmacSha256(fleetKey);
            int updateBytes = FleetMessage.MaxUpdateBytes(baseline);
            if (updateBytes > maxMessageBytes || FleetMessage.MergedBytes(baseline) > maxMessageBytes)
                throw new ArgumentException("this model's fleet messages need up to " + updateBytes + " bytes, over the " + maxMessageBytes + "-byte limit");
            reader = new FleetMessageReader(maxMessageBytes);
            updateBuffer = new byte[updateBytes];
            inputSums = new long[network.InputLength];
            classLabelled = new uint[network.ClassCount];
            statsBuffer = new byte[FleetMessage.StatsBytes(network.InputLength, network.ClassCount)];
            recent = new bool[recentWindow];
            baseline.CopyFrom(network);
            fingerprint = baseline.Fingerprint();
        }

        /// <summary>Allocates the agreement check's buffer (one sbyte per history slot): at start-up, not at a safe point.</summary>
        public void ReserveAgreement(int historyCapacity)
        {
            if (historyCapacity < 1) throw new ArgumentException("the agreement check needs the learner's history ring");
            if (ownPrediction == null || ownPrediction.Length < historyCapacity) ownPrediction = new sbyte[historyCapacity];
        }

        /// <summary>Version of the merged model the board's parameters started from (0: its own default).</summary>
        public uint BaseVersion { get { return baseVersion; } }
        /// <summary>
        /// Highest merged version verified (older or equal ones are refused as replays): the "newer than" floor. It only goes
        /// down when a verified receipt shows the aggregator's counter went back (<see cref="FloorsLowered"/>).
        /// </summary>
        public uint HighestVersion { get { return highestVersion; } }
        public bool HasStaged { get { return hasStaged; } }
        public uint StagedVersion { get { return stagedVersion; } }
        public bool InTrial { get { return inTrial; } }
        /// <summary>Labelled samples still to come before the board takes a merged model again (after a rollback).</summary>
        public int WaitLabels { get { return waitLabels; } }
        /// <summary>Whether a staged model would be taken at this safe point: staged, no trial running, no wait after a rollback.</summary>
        public bool ReadyToTake { get { return hasStaged && !inTrial && waitLabels == 0; } }
        public int TrialSamplesSeen { get { return trialTotal; } }
        /// <summary>Labelled samples the trial of the last take lasts (TrialSamples unless scaled to the label rate).</summary>
        public int TrialLength { get { return TrialLabelRatePerMille > 0 ? scaledTrialLabels : TrialSamples; } }

        /// <summary>
        /// The trial a take would have now (<see cref="TrialLabelRatePerMille"/>): TrialSamples at or above that labelled
        /// share, else TrialSamples · labelled / (samples · rate) labels rounded up, within [MinimumTrialLabels, TrialSamples].
        /// Integer, allocation-free.
        /// </summary>
        public int ScaledTrialLabels()
        {
            int full = TrialSamples;
            if (TrialLabelRatePerMille <= 0 || inputSamples == 0) return full;
            long labelled = 0;
            for (int c = 0; c < classLabelled.Length; c++) labelled += classLabelled[c];
            long den = (long)inputSamples * TrialLabelRatePerMille;
            if (labelled * 1000 >= den) return full;
            long scaled = ((long)full * labelled * 1000 + den - 1) / den;
            int least = MinimumTrialLabels < 1 ? 1 : MinimumTrialLabels;
            if (least > full) least = full;
            return scaled < least ? least : (int)scaled;
        }
        public byte[] UpdateBuffer { get { return updateBuffer; } }
        public ParameterSet Shape { get { return baseline; } }

        /// <summary>
        /// After a boot, reset or restore: the network's parameters started from merged version `version` and may have
        /// learned since (a checkpoint loaded or restored). The baseline becomes that version's own rows when this member
        /// holds them (carried by <see cref="ContinueFrom"/>: the previous member's base, or the one before its last take);
        /// otherwise the network's parameters, and then every update sends every channel (<see cref="SendsEveryChannel"/>)
        /// until the board takes a merged model: an update that left channels out would have the aggregator fill them
        /// from its copy of that version, which are not this board's rows.
        /// </summary>
        public void ResetBaseline(uint version) { Rebase(version, false); }

        /// <summary>
        /// As <see cref="ResetBaseline(uint)"/>, when the board holds merged version `version`'s own rows in another
        /// network of this shape (`rows`; for version 0 the embedded default model as loaded, which a challenger board
        /// loads anyway for its prediction-only network): the baseline becomes those rows, so after a boot the updates are
        /// differences to the base again (only the channels trained since), not every channel. Null rows: ResetBaseline(version).
        /// A network of another shape throws ArgumentException and changes nothing.
        /// </summary>
        public void ResetBaseline(uint version, Network rows)
        {
            if (rows == null) { ResetBaseline(version); return; }
            incoming.CopyFrom(rows); // scratch (no trial runs in a member just bound): another shape throws before the bases change
            BaseRowsAre(version, incoming);
        }

        /// <summary>
        /// As <see cref="ResetBaseline(uint, Network)"/>, with version `version`'s rows as a model file (ModelFile bytes; for
        /// version 0 the embedded default model, which a take-mode board does not keep loaded): read straight into this
        /// member's buffers (ParameterSet.CopyFromModelFile), so no second model is parsed. A file that is not a model of
        /// this shape throws ModelFormatException and changes nothing. Null: ResetBaseline(version).
        /// </summary>
        public void ResetBaseline(uint version, byte[] modelFile)
        {
            if (modelFile == null) { ResetBaseline(version); return; }
            incoming.CopyFromModelFile(modelFile, modelFile.Length); // scratch, as above: a bad file throws before the bases change
            BaseRowsAre(version, incoming);
        }

        /// <summary>
        /// As <see cref="ResetBaseline(uint, Network)"/>, with version `version`'s rows kept elsewhere (the board's
        /// checkpoint, for a base above 0): read into this member's scratch buffer, so no second model is built. Returns
        /// null when the baseline is now exact; otherwise why the rows could not be used (the source's reason), and the
        /// member is as after <see cref="ResetBaseline(uint)"/>: every channel goes out until the board takes a merged model.
        /// </summary>
        public string ResetBaseline(uint version, IBaseRowsSource source)
        {
            string why = source == null ? "no base rows" : source.CopyBaseRows(version, incoming); // scratch, as above
            if (why != null) { ResetBaseline(version); return why; }
            BaseRowsAre(version, incoming);
            return null;
        }

        /// <summary>
        /// The baseline when it is exactly merged version <see cref="BaseVersion"/>'s rows, else null (the board's
        /// checkpoint keeps them so a boot diffs against them again). Read only; valid until the next take, rollback or rebase.
        /// </summary>
        public ParameterSet ExactBaseRows { get { return baselineExact ? baseline : null; } }

        /// <summary>
        /// Whether this member holds merged version `version`'s own rows (its baseline or the one before its last take,
        /// carried by <see cref="ContinueFrom"/> from the previous member; a member bound at a boot holds none): then
        /// <see cref="ResetBaseline(uint)"/> needs no rows from elsewhere. Call it between ContinueFrom and the rebase.
        /// </summary>
        public bool HoldsBaseRows(uint version)
        {
            return continued && (baselineExact && baseVersion == version || previousBaselineExact && previousBaseVersion == version);
        }

        /// <summary>The baseline becomes `rows`, exactly version `version`'s; a known base goes aside first, as in Rebase.</summary>
        private void BaseRowsAre(uint version, ParameterSet rows)
        {
            if (continued && baselineExact && baseVersion != version) PutKnownBaseAside();
            baseline.CopyFrom(rows);
            baselineExact = true;
            baseVersion = version;
            if (version > highestVersion) highestVersion = version;
        }

        /// <summary>The network holds exactly the rows of merged version `version` (0: the default model, just loaded): updates are differences to it.</summary>
        public void StartFromBase(uint version) { Rebase(version, true); }

        /// <summary>
        /// Whether updates send every channel: the baseline is not the base version's own rows (<see cref="ResetBaseline"/>),
        /// the aggregator's receipt said it does not hold the base (<see cref="BaseRefused"/>), or, when no receipt says so
        /// (an aggregator before receipts), it may no longer hold it (<see cref="BaseMayBeGone"/>).
        /// </summary>
        public bool SendsEveryChannel { get { return !baselineExact || BaseRefused || BaseMayBeGone; } }

        /// <summary>
        /// Merged versions beyond its base (the newest one the board verified) from which a board no longer counts on the
        /// aggregator still holding that base: it keeps the versions of its last 64 merges (one version a merge, or one a
        /// board per merge), so half of that leaves room for versions the board did not see.
        /// </summary>
        public const int StaleBaseVersions = 32;

        /// <summary>
        /// The aggregator may have dropped the base: above version 0 (always kept), at least <see cref="StaleBaseVersions"/>
        /// behind the newest verified version, and no update without every channel on it delivered (which the aggregator
        /// would keep the base for). Updates then carry every channel, which the aggregator accepts whatever their base:
        /// a board that took a model and stayed silent, or one in challenger mode (it never takes), is not locked out.
        /// The fallback for an aggregator that sends no receipts: a receipt saying the base is gone is <see cref="BaseRefused"/>.
        /// </summary>
        public bool BaseMayBeGone
        {
            get
            {
                // A base above the highest version (only after a receipt lowered the floor: FleetMemberReceipts.cs) is one
                // the aggregator that lost its state never published either.
                return baseVersion != 0 && !(sparseDelivered && sparseDeliveredOn == baseVersion)
                    && (baseVersion > highestVersion || highestVersion - baseVersion >= (uint)StaleBaseVersions);
            }
        }

        /// <summary>The transport took the update <see cref="WriteUpdate"/> wrote last (so the aggregator keeps its base if it left channels out).</summary>
        public void UpdateDelivered()
        {
            if (!sparseWritten) return;
            sparseDelivered = true;
            sparseDeliveredOn = sparseWrittenOn;
        }

        /// <summary>The exact base goes aside as the previous one before the baseline is replaced: a later restore may come back to it.</summary>
        private void PutKnownBaseAside()
        {
            previousBaseline.CopyFrom(baseline);
            previousBaseVersion = baseVersion;
            previousBaselineExact = true;
        }

        private void Rebase(uint version, bool networkIsBase)
        {
            bool keepBaseline = !networkIsBase && continued && baselineExact && baseVersion == version;
            bool fromPrevious = !networkIsBase && !keepBaseline && continued && previousBaselineExact && previousBaseVersion == version;
            if (fromPrevious)
            {
                // The base before the previous member's last take: swap the two known bases (incoming as scratch).
                incoming.CopyFrom(previousBaseline);
                previousBaseline.CopyFrom(baseline);
                previousBaseVersion = baseVersion;
                previousBaselineExact = baselineExact;
                baseline.CopyFrom(incoming);
                baselineExact = true;
            }
            else if (!keepBaseline)
            {
                // No trial runs in a member just bound.
                if (continued && baselineExact) PutKnownBaseAside();
                baseline.CopyFrom(network);
                baselineExact = networkIsBase;
            }
            baseVersion = version;
            if (version > highestVersion) highestVersion = version;
        }

        /// <summary>
        /// The board's id (letters, digits, '-', '_'; at most 64): a merged model addressed to another board is refused.
        /// Null: the board takes only unaddressed (fleet-wide) models.
        /// </summary>
        public string BoardId
        {
            get { return boardIdText; }
            set
            {
                byte[] bytes = FleetMessage.BoardIdBytes(value);
                if (value != null && bytes == null) throw new ArgumentException("a board id is 1.." + FleetMessage.MaxBoardIdBytes + " letters, digits, '-' or '_'");
                boardId = bytes;
                boardIdText = value;
            }
        }
        private string boardIdText;

        /// <summary>
        /// Every normalised input the board predicts (per sample: integer, allocation-free): the running per-feature sums
        /// the statistics message reports as means.
        /// </summary>
        public void ObserveInput(sbyte[] input)
        {
            long[] sums = inputSums;
            int n = sums.Length;
            for (int i = 0; i < n; i++) sums[i] += input[i];
            inputSamples++;
        }

        /// <summary>
        /// Samples newly labelled with class cls (the board's label path, FirmwareApp.Label: the learner's newly labelled
        /// count): the per-class counts the statistics message carries. A class outside the model is ignored.
        /// </summary>
        public void CountLabels(int cls, int newlyLabelled)
        {
            if (cls < 0 || cls >= classLabelled.Length || newlyLabelled <= 0) return;
            classLabelled[cls] += (uint)newlyLabelled;
        }

        /// <summary>Samples labelled with class cls so far (the statistics message's count).</summary>
        public uint LabelledOfClass(int cls) { return classLabelled[cls]; }

        /// <summary>
        /// The class counts kept elsewhere (the firmware's counters: restored from a checkpoint after a boot or a restore,
        /// zero after a reset) become the statistics message's. Counts of another class count are ignored. No allocation.
        /// </summary>
        public void SetClassCounts(uint[] counts)
        {
            if (counts == null || counts.Length != classLabelled.Length) return;
            Array.Copy(counts, classLabelled, classLabelled.Length);
        }

        /// <summary>
        /// After a boot: the input statistics kept in a checkpoint (samples and per-feature sums of the normalised input)
        /// go on, so the means and the sample count of the next statistics message are over every sample the checkpoint
        /// saw. Sums of another input length are ignored. No allocation.
        /// </summary>
        public void ResumeStatistics(uint samples, long[] sums)
        {
            if (sums == null || sums.Length != inputSums.Length) return;
            Array.Copy(sums, inputSums, inputSums.Length);
            inputSamples = samples;
        }

        /// <summary>Copies the running input sums into `into` (a checkpoint keeps them) and returns the samples they are over. No allocation.</summary>
        public uint CopyInputSums(long[] into)
        {
            if (into != null && into.Length == inputSums.Length) Array.Copy(inputSums, into, inputSums.Length);
            return inputSamples;
        }

        /// <summary>
        /// A member bound anew (after a reset or restore) goes on with the previous one's fleet counters: the update and
        /// statistics sequences (its next messages are not refused as replays), the highest merged version verified (an
        /// old merged model replayed after the reset is still refused) and the input statistics; and with its bases (its
        /// baseline and the one before its last take, with their versions), so that <see cref="ResetBaseline"/> finds the
        /// merged version's own rows for a restored checkpoint instead of taking the loaded parameters for them.
        /// </summary>
        public void ContinueFrom(FleetMember previous)
        {
            if (previous == null) return;
            Resume(previous.sequence, previous.statsSequence, previous.highestVersion);
            ContinueReceiptsFrom(previous);
            if (previous.baseline.SameShape(baseline))
            {
                baseline.CopyFrom(previous.baseline);
                baseVersion = previous.baseVersion;
                baselineExact = previous.baselineExact;
                previousBaseline.CopyFrom(previous.previousBaseline);
                previousBaseVersion = previous.previousBaseVersion;
                previousBaselineExact = previous.previousBaselineExact;
                sparseDelivered = previous.sparseDelivered;
                sparseDeliveredOn = previous.sparseDeliveredOn;
                continued = true;
            }
            if (previous.inputSums.Length != inputSums.Length) return;
            Array.Copy(previous.inputSums, inputSums, inputSums.Length);
            inputSamples = previous.inputSamples;
            if (previous.classLabelled.Length == classLabelled.Length) Array.Copy(previous.classLabelled, classLabelled, classLabelled.Length);
        }

        /// <summary>
        /// Goes on from fleet counters kept elsewhere (a checkpoint, after a boot): the next update is updateSequence + 1,
        /// the next statistics message statsSequence + 1, and merged versions up to highestVersion are refused. Counters
        /// never go back: each becomes the larger of its value and the given one.
        /// </summary>
        public void Resume(uint updateSequence, uint statsSequence, uint highestVersion)
        {
            if (updateSequence > sequence) sequence = updateSequence;
            if (statsSequence > this.statsSequence) this.statsSequence = statsSequence;
            if (highestVersion > this.highestVersion) this.highestVersion = highestVersion;
        }

        /// <summary>Sequence number of the last update written (0: none).</summary>
        public uint UpdateSequence { get { return sequence; } }
        /// <summary>Sequence number of the last statistics message written (0: none).</summary>
        public uint StatsSequence { get { return statsSequence; } }

        /// <summary>Inputs observed so far (the statistics' sample count).</summary>
        public uint InputSamples { get { return inputSamples; } }
        /// <summary>Statistics messages written.</summary>
        public int StatsPublished;
        public byte[] StatsBuffer { get { return statsBuffer; } }

        /// <summary>Writes the board's signed input statistics (next sequence number) into StatsBuffer and returns its length.</summary>
        public int WriteStats(int inputExponent, uint labelled)
        {
            statsSequence++;
            int length = FleetMessage.WriteStats(statsBuffer, inputSums, inputSamples, classLabelled, inputExponent, baseVersion, fingerprint, statsSequence, labelled, boardKey);
            Sent(true, statsBuffer, length);
            StatsPublished++;
            BytesSent += length;
            return length;
        }

        /// <summary>Writes the board's update into UpdateBuffer and returns its length.</summary>
        public int WriteUpdate(uint labelled, uint correct)
        {
            sequence++;
            bool everyChannel = SendsEveryChannel;
            sparseWritten = !everyChannel;
            sparseWrittenOn = baseVersion;
            int length = FleetMessage.WriteUpdate(updateBuffer, network, baseline, baseVersion, sequence, labelled, correct, everyChannel, boardKey);
            Sent(false, updateBuffer, length);
            Published++;
            BytesSent += length;
            return length;
        }

        /// <summary>Verifies a merged model and stages it for the next safe point. False (LastError says why) leaves everything as it was.</summary>
        public bool Receive(byte[] message, int length)
        {
            BytesReceived += length > 0 ? length : 0;
            if (!reader.CheckFrame(message, length, FleetMessage.KindMerged, fleetKey)) return Refuse(reader.Error);
            if (!reader.IsFor(message, boardId))
                return Refuse("merged model addressed to board '" + reader.RecipientText(message) + "', not to this board ('" + (boardIdText == null ? "" : boardIdText) + "')");
            if (reader.Version <= highestVersion)
                return Refuse("merged model version " + reader.Version + " is not newer than version " + highestVersion + " (replayed or stale)");
            if (!reader.ReadMerged(message, length, fleetKey, incoming)) return Refuse(reader.Error);
            staged.CopyFrom(incoming);
            stagedVersion = reader.Version;
            stagedLabelled = reader.Labelled;
            highestVersion = reader.Version;
            hasStaged = true;
            return true;
        }

        /// <summary>At a safe point: checkpoint the board's own parameters and take the staged model as it is.</summary>
        public bool ApplyStaged() { return ApplyStaged(0, null, 0); }

        /// <summary>
        /// At a safe point: checkpoint the board's own parameters, then take the staged fleet model
        /// blended with the board's own (ModelMerger on the board: own weight ownLabelled, fleet
        /// weight the other boards' labels, so a board with few labels takes nearly all of the
        /// fleet and a board with many keeps its own room in it). With a replay buffer, the blend
        /// must predict the board's own stored labelled samples at least as well as its current
        /// model (within ReplayTolerance samples), or the board declines it and stays as it was.
        /// Does nothing (false) when nothing is staged, a previous merge is still on trial, or the
        /// board waits after a rollback (see <see cref="ReadyToTake"/>).
        /// </summary>
        public bool ApplyStaged(uint ownLabelled, ReplayBuffer replay, int inputExponent) { return ApplyStaged(ownLabelled, replay, null, inputExponent); }

        /// <summary>
        /// As above; with the learner's history the trial is paired: every sample observed after
        /// the take and labelled during the trial is predicted again with the board's own
        /// (checkpoint) model (<see cref="JudgeTrial"/>), and the taken model is rolled back as soon
        /// as it got more than PairedTolerance of them wrong beyond the board's own model. Unlike
        /// the unpaired trial (accuracy before against accuracy after, on different samples) it
        /// compares the two models on the same samples, and decides after a few labels.
        /// </summary>
        public bool ApplyStaged(uint ownLabelled, ReplayBuffer replay, HistoryRing history, int inputExponent)
        {
            if (!ReadyToTake) return false;
            hasStaged = false;
            checkpoint.CopyFrom(network);
            bool checkHistory = history != null && HistoryTolerance >= 0;
            bool checkAgreement = history != null && AgreementBudget >= 0 && ownPrediction != null && ownPrediction.Length >= history.Capacity;
            int ownReplayCorrect = replay != null ? CountCorrect(replay, inputExponent) : 0;
            int ownHistoryCorrect = checkHistory ? CountCorrect(history, inputExponent) : 0;
            if (checkAgreement) PredictHistory(history, inputExponent);
            int halvings = 0;
            while (true)
            {
                Blend(checkpoint, staged, ownLabelled, stagedLabelled, halvings, incoming);
                incoming.CopyTo(network);
                if (!checkAgreement || WithinAgreementBudget(history, inputExponent)) break;
                if (halvings >= AgreementHalvings)
                {
                    checkpoint.CopyTo(network);
                    Declined++;
                    AgreementDeclined++;
                    return false;
                }
                halvings++;
            }
            LastHalvings = halvings;
            bool worseOnReplay = replay != null && CountCorrect(replay, inputExponent) + ReplayTolerance < ownReplayCorrect;
            bool worseOnHistory = checkHistory && CountCorrect(history, inputExponent) + HistoryTolerance < ownHistoryCorrect;
            if (worseOnReplay || worseOnHistory)
            {
                checkpoint.CopyTo(network);
                Declined++;
                if (worseOnReplay) DeclinedOnStored++;
                if (worseOnHistory) DeclinedOnHistory++;
                return false;
            }
            previousBaseline.CopyFrom(baseline);
            previousBaseVersion = baseVersion;
            previousBaselineExact = baselineExact;
            baseline.CopyFrom(staged);
            baseVersion = stagedVersion;
            baselineExact = true;
            Accepted++;
            if (halvings > 0) Narrowed++;
            trialHistory = PairedTrial ? history : null;
            scaledTrialLabels = ScaledTrialLabels();
            if (trialHistory != null)
            {
                inTrial = true;
                trialTotal = 0;
                trialBetter = 0;
                trialWorse = 0;
                trialInputExponent = inputExponent;
                judgedUpToMs = history.Count > 0 ? history.TimeAt(history.NewestSlot()) : long.MinValue;
            }
            else if (recentCount >= MinimumHistory)
            {
                inTrial = true;
                trialTotal = 0;
                trialCorrect = 0;
                accuracyBeforePerMille = recentCorrect * 1000 / recentCount;
            }
            return true;
        }

        /// <summary>
        /// The fleet as a challenger (<see cref="FleetAdvisor"/>): blends the latest verified merged
        /// model with the board's current parameters (as a take would, own head kept with
        /// KeepOwnHead) into <see cref="Challenger"/>, and leaves the board's network, its baseline
        /// and its updates as they were. False when no merged model was ever verified. A staged
        /// model is consumed; the latest stays, so the challenger can be rebuilt as the board learns.
        /// </summary>
        public bool BuildChallenger(uint ownLabelled)
        {
            if (hasStaged)
            {
                hasStaged = false;
                hasFleetModel = true;
                fleetModelVersion = stagedVersion;
            }
            if (!hasFleetModel) return false;
            checkpoint.CopyFrom(network);
            Blend(checkpoint, staged, ownLabelled, stagedLabelled, 0, incoming);
            ChallengersBuilt++;
            return true;
        }

        /// <summary>The challenger <see cref="BuildChallenger"/> made last (scratch: valid until the next take or build).</summary>
        public ParameterSet Challenger { get { return incoming; } }
        /// <summary>Version of the merged model the challenger comes from (0: none yet).</summary>
        public uint ChallengerVersion { get { return fleetModelVersion; } }

        /// <summary>
        /// into = the fleet's model blended with the board's own (ModelMerger: own weight
        /// ownLabelled · OwnWeightFactor, fleet weight the other boards' labels); with
        /// KeepOwnHead the last layer is the board's own. Without own labels: the fleet's model.
        /// halvings k > 0: a step of 2^-k of the way from the board's own model to that blend
        /// (own weight o + (2^k - 1)(o + f), fleet weight f, both halved together until they fit ModelMerger.MaxWeight).
        /// </summary>
        private void Blend(ParameterSet own, ParameterSet fleetModel, uint ownLabelled, uint fleetLabelled, int halvings, ParameterSet into)
        {
            uint others = fleetLabelled > ownLabelled ? fleetLabelled - ownLabelled : 1;
            if (ownLabelled == 0 && halvings == 0) into.CopyFrom(fleetModel);
            else
            {
                long ownWeighted = (long)ownLabelled * (OwnWeightFactor < 1 ? 1 : OwnWeightFactor);
                if (ownWeighted < 1) ownWeighted = 1;
                long fleetWeighted = others;
                if (halvings == 0)
                {
                    if (ownWeighted > ModelMerger.MaxWeight) ownWeighted = ModelMerger.MaxWeight;
                    if (fleetWeighted > ModelMerger.MaxWeight) fleetWeighted = ModelMerger.MaxWeight;
                }
                else
                {
                    ownWeighted += (((long)1 << halvings) - 1) * (ownWeighted + fleetWeighted);
                    while (ownWeighted > ModelMerger.MaxWeight || fleetWeighted > ModelMerger.MaxWeight)
                    {
                        ownWeighted = (ownWeighted + 1) >> 1;
                        fleetWeighted = (fleetWeighted + 1) >> 1;
                    }
                }
                int ownWeight = (int)ownWeighted;
                int fleetWeight = (int)fleetWeighted;
                blender.Begin();
                for (int l = 0; l < own.LayerCount; l++)
                {
                    blender.Declare(l, own.MasterExponent[l], own.BiasExponent[l]);
                    blender.Declare(l, fleetModel.MasterExponent[l], fleetModel.BiasExponent[l]);
                }
                blender.Fix();
                for (int l = 0; l < own.LayerCount; l++)
                {
                    int row = own.RowLength[l];
                    for (int c = 0; c < own.Channels[l]; c++)
                    {
                        blender.AddRow(l, c, own.Master[l], c * row, own.MasterExponent[l], own.Bias[l][c], own.BiasExponent[l], ownWeight);
                        blender.AddRow(l, c, fleetModel.Master[l], c * row, fleetModel.MasterExponent[l], fleetModel.Bias[l][c], fleetModel.BiasExponent[l], fleetWeight);
                    }
                }
                blender.Finish(into);
            }
            if (KeepOwnHead) into.CopyLayerFrom(own, own.LayerCount - 1);
        }

        /// <summary>ownPrediction[slot] = the network's prediction of every sample in the history ring.</summary>
        private void PredictHistory(HistoryRing history, int inputExponent)
        {
            int slot = history.OldestSlot();
            for (int n = 0; n < history.Count; n++, slot = history.NextSlot(slot))
                ownPrediction[slot] = (sbyte)PredictSlot(history, slot, inputExponent);
        }

        /// <summary>
        /// Whether the network (the blend) changes at most AgreementBudget predictions of the history
        /// ring from ownPrediction, plus AgreementEvidence per labelled changed sample it gets right
        /// beyond those it gets wrong (only labelled changes say which model is right; the unlabelled
        /// ones bound what a wrong take can cost).
        /// </summary>
        private bool WithinAgreementBudget(HistoryRing history, int inputExponent)
        {
            int changed = 0, better = 0, worse = 0;
            int slot = history.OldestSlot();
            for (int n = 0; n < history.Count; n++, slot = history.NextSlot(slot))
            {
                int predicted = PredictSlot(history, slot, inputExponent);
                int own = ownPrediction[slot];
                if (predicted == own) continue;
                changed++;
                if (history.StateAt(slot) == LabelState.Unlabelled) continue;
                int label = history.LabelAt(slot);
                if (predicted == label) better++;
                else if (own == label) worse++;
            }
            LastChanged = changed;
            int lead = better - worse;
            return changed <= AgreementBudget + (lead > 0 ? AgreementEvidence * lead : 0);
        }

        /// <summary>Stored labelled samples the network predicts right.</summary>
        private int CountCorrect(ReplayBuffer replay, int inputExponent)
        {
            QTensor input = network.Input;
            int features = replay.FeatureCount;
            int correct = 0;
            for (int c = 0; c < replay.Classes; c++)
            {
                int held = replay.CountOf(c);
                for (int slot = 0; slot < held; slot++)
                {
                    Array.Copy(replay.Data, replay.OffsetOf(c, slot), input.Data, 0, features);
                    input.Exponent = inputExponent;
                    if (network.Predict() == c) correct++;
                }
            }
            return correct;
        }

        /// <summary>Recently labelled samples in the learner's history (labels arrive late, for samples already predicted) the network predicts right.</summary>
        private int CountCorrect(HistoryRing history, int inputExponent)
        {
            int correct = 0;
            int slot = history.OldestSlot();
            for (int n = 0; n < history.Count; n++, slot = history.NextSlot(slot))
            {
                if (history.StateAt(slot) == LabelState.Unlabelled) continue;
                if (PredictSlot(history, slot, inputExponent) == history.LabelAt(slot)) correct++;
            }
            return correct;
        }

        /// <summary>The network's prediction of the sample in a history slot (at a safe point, not per sample: one call a slot is fine).</summary>
        private int PredictSlot(HistoryRing history, int slot, int inputExponent)
        {
            QTensor input = network.Input;
            Array.Copy(history.Data, history.OffsetOf(slot), input.Data, 0, history.FeatureCount);
            input.Exponent = inputExponent;
            return network.Predict();
        }

        /// <summary>
        /// The board's labelled outcomes since the last call (labels that arrived, and how many of
        /// them the board had predicted right). Ends a trial when enough arrived, or as soon as its
        /// wrong predictions make the accuracy before unreachable (a slow-labelling board would
        /// otherwise carry a worse model for most of TrialSamples labels); returns a FleetTrial code.
        /// </summary>
        public int RecordLabelled(int labelled, int correct)
        {
            int result = FleetTrial.None;
            for (int k = 0; k < labelled; k++)
            {
                bool right = k < correct;
                if (waitLabels > 0) waitLabels--;
                if (inTrial && trialHistory == null)
                {
                    trialTotal++;
                    if (right) trialCorrect++;
                    int length = TrialLength;
                    int bestAfter = (trialCorrect + length - trialTotal) * 1000 / length;
                    if (trialTotal >= length || (trialTotal >= EarlyDecisionAfter && bestAfter + TolerancePerMille < accuracyBeforePerMille)) result = EndTrial();
                }
                if (recentCount == recent.Length) { if (recent[recentNext]) recentCorrect--; }
                else recentCount++;
                recent[recentNext] = right;
                if (right) recentCorrect++;
                recentNext = (recentNext + 1) % recent.Length;
            }
            return result;
        }

        /// <summary>Accuracy (‰) over the recent labelled outcomes, -1 when there are none.</summary>
        public int RecentAccuracyPerMille { get { return recentCount == 0 ? -1 : recentCorrect * 1000 / recentCount; } }

        /// <summary>Labelled trial samples the taken model predicted right and the board's own model wrong (paired trial).</summary>
        public int TrialBetter { get { return trialBetter; } }
        /// <summary>Labelled trial samples the taken model predicted wrong and the board's own model right (paired trial).</summary>
        public int TrialWorse { get { return trialWorse; } }

        /// <summary>
        /// The paired trial, at a safe point: samples labelled since the last call (observed after
        /// the take, so predicted by the taken model) are predicted with the checkpoint too (its
        /// parameters swapped in and out, bit for bit). Rolls back as soon as the taken model is
        /// worse on more than PairedTolerance of them, keeps it after TrialSamples. Returns a FleetTrial code.
        /// </summary>
        public int JudgeTrial()
        {
            if (!inTrial || trialHistory == null) return FleetTrial.None;
            HistoryRing h = trialHistory;
            int fresh = 0;
            int slot = h.OldestSlot();
            for (int n = 0; n < h.Count; n++, slot = h.NextSlot(slot))
                if (h.StateAt(slot) != LabelState.Unlabelled && h.TimeAt(slot) > judgedUpToMs) fresh++;
            if (fresh == 0) return FleetTrial.None;
            incoming.CopyFrom(network);
            checkpoint.CopyTo(network);
            QTensor input = network.Input;
            long newest = judgedUpToMs;
            slot = h.OldestSlot();
            for (int n = 0; n < h.Count; n++, slot = h.NextSlot(slot))
            {
                long t = h.TimeAt(slot);
                if (h.StateAt(slot) == LabelState.Unlabelled || t <= judgedUpToMs) continue;
                Array.Copy(h.Data, h.OffsetOf(slot), input.Data, 0, h.FeatureCount);
                input.Exponent = trialInputExponent;
                int label = h.LabelAt(slot);
                bool ownRight = network.Predict() == label;
                bool takenRight = h.PredictionAt(slot) == label;
                trialTotal++;
                if (takenRight && !ownRight) trialBetter++;
                else if (!takenRight && ownRight) trialWorse++;
                if (t > newest) newest = t;
            }
            incoming.CopyTo(network);
            judgedUpToMs = newest;
            if (trialWorse - trialBetter > PairedTolerance) return RollBack();
            if (trialTotal >= TrialLength) return Keep();
            return FleetTrial.None;
        }

        private int EndTrial()
        {
            int length = TrialLength;
            int after = trialCorrect * 1000 / length;
            if (trialTotal >= length && after + TolerancePerMille >= accuracyBeforePerMille) return Keep();
            return RollBack();
        }

        private int Keep()
        {
            inTrial = false;
            Kept++;
            rollbacksInARow = 0;
            return FleetTrial.Kept;
        }

        private int RollBack()
        {
            inTrial = false;
            checkpoint.CopyTo(network);
            baseline.CopyFrom(previousBaseline);
            baseVersion = previousBaseVersion;
            baselineExact = previousBaselineExact;
            RolledBack++;
            // Wait before the next merge, twice as long after every rollback in a row: a room unlike
            // the fleet's would otherwise take (and pay for) every new version.
            if (rollbacksInARow < MaxBackoffDoublings) rollbacksInARow++;
            waitLabels = rollbacksInARow == 0 ? 0 : TrialLength << (rollbacksInARow - 1);
            return FleetTrial.RolledBack;
        }

        private bool Refuse(string why)
        {
            LastError = why;
            Rejected++;
            return false;
        }
    }
}
