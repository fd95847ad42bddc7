using System;
using TinTin.Core;
using TinTin.Fleet;

namespace TinTin.Firmware
{
    /// <summary>What the board needs to join a fleet (docs/FLEET.md): its keys and how often it reports.</summary>
    public sealed class FleetSettings
    {
        /// <summary>The board's own HMAC key (signs its updates).</summary>
        public byte[] BoardKey;
        /// <summary>The fleet key (verifies merged models).</summary>
        public byte[] FleetKey;
        public int MaxMessageBytes = FleetMessage.DefaultMaxBytes;
        /// <summary>Publish an update after this many new labelled samples.</summary>
        public int PublishEveryLabels = 32;
        /// <summary>
        /// Publish the board's input statistics (FleetMessage kind 3: per-feature means of the normalised input over every
        /// sample so far, signed with the board's key) after this many new samples, labelled or not; 0: never. The
        /// aggregator's per-board merge (the default of `tintin fleet serve`) reads them.
        /// </summary>
        public int StatsEverySamples = DefaultStatsEverySamples;
        /// <summary>StatsEverySamples unless provisioned otherwise (stats_every).</summary>
        public const int DefaultStatsEverySamples = 64;
        /// <summary>The board's id (FleetProvisioning board_id): a merged model addressed to another board is refused. Null: only fleet-wide models.</summary>
        public string BoardId;
        /// <summary>Join at start-up (else only on `fleet join`).</summary>
        public bool JoinAtStart;
        /// <summary>The trial length a board has unless told otherwise (FleetProvisioning does not provision it: trial_min_labels is at most this).</summary>
        public const int DefaultTrialSamples = 32;
        /// <summary>Labelled samples a taken model is judged on (FleetMember.TrialSamples).</summary>
        public int TrialSamples = DefaultTrialSamples;
        /// <summary>
        /// Trial scaled to the board's label rate (FleetMember.TrialLabelRatePerMille, docs/experiments/fleet.md "Session 12"; 0: off,
        /// every trial lasts TrialSamples labels): below this labelled share (per mille of its samples) a take is judged on
        /// proportionally fewer labels, at least TrialMinimumLabels, and the wait after a rollback shrinks with it.
        /// </summary>
        public int TrialLabelRatePerMille = DefaultTrialLabelRatePerMille;
        /// <summary>
        /// TrialLabelRatePerMille unless provisioned otherwise (trial_label_rate): 100 since session 14, the board half of the
        /// fleet's default merge (docs/FLEET.md "The default merge"); 0 before.
        /// </summary>
        public const int DefaultTrialLabelRatePerMille = 100;
        /// <summary>Fewest labels a trial scaled to the label rate lasts (FleetMember.MinimumTrialLabels).</summary>
        public int TrialMinimumLabels = 8;
        /// <summary>Accuracy drop (per mille) in the trial that rolls the model back (FleetMember.TolerancePerMille).</summary>
        public int TolerancePerMille = 30;
        /// <summary>Stored labelled samples the blend may get wrong beyond the board's own model (FleetMember.ReplayTolerance).</summary>
        public int ReplayTolerance = 1;
        /// <summary>Blend the fleet's model with the board's own by labelled samples (false: take it as it is; an ablation).</summary>
        public bool BlendWithOwn = true;
        /// <summary>Check the blend on the board's stored labelled samples before taking it (false: an ablation).</summary>
        public bool CheckOnStoredLabels = true;
        /// <summary>Judge a taken model against the board's own on the same newly labelled samples (false: accuracy before against after; an ablation).</summary>
        public bool PairedTrial = true;
        /// <summary>Paired trial: labelled samples the taken model may get wrong beyond the board's own before it is rolled back (FleetMember.PairedTolerance).</summary>
        public int PairedTolerance = 1;
        /// <summary>Recently labelled samples (the learner's history) the blend may get wrong beyond the board's own model before it is declined; negative: no history check (FleetMember.HistoryTolerance).</summary>
        public int HistoryTolerance = 0;
        /// <summary>Keep the board's own last layer (its personalised head) and take only the layers below it from the fleet (FleetMember.KeepOwnHead; false: an ablation).</summary>
        public bool KeepOwnHead = true;
        /// <summary>The board's own labels count this many times when it blends the fleet's model with its own (FleetMember.OwnWeightFactor; docs/experiments/fleet.md: 2 lost least across layouts and seeds).</summary>
        public int OwnWeightFactor = 2;
        /// <summary>
        /// Agreement budget (FleetMember.AgreementBudget, docs/FLEET.md): samples of the learner's recent history
        /// (labelled or not) whose prediction a blend may change before the board takes a smaller step towards it
        /// (AgreementHalvings) or declines it; negative: no agreement check (the default).
        /// </summary>
        public int AgreementBudget = -1;
        /// <summary>Halvings of the step towards a blend that changes too many predictions (FleetMember.AgreementHalvings; 0: all or nothing).</summary>
        public int AgreementHalvings;
        /// <summary>Extra changed predictions allowed per labelled changed sample the blend gets right beyond those it gets wrong (FleetMember.AgreementEvidence).</summary>
        public int AgreementEvidence;
        /// <summary>
        /// The fleet's model is a challenger beside the board's own (FleetAdvisor, docs/FLEET.md): the board's own model
        /// learns from its own labels only and is never replaced; a prediction-only copy of the fleet's model (blended with
        /// the board's own) answers instead while it beats the board's own on the board's labels. False: the board takes
        /// merged models into its own (checkpoint, checks, trial, rollback): the default, docs/experiments/fleet.md measures both.
        /// </summary>
        public bool Challenger;
        /// <summary>Lead on the board's labels from which the challenger answers (FleetAdvisor.Threshold).</summary>
        public int ChallengerThreshold = 2;
        /// <summary>Bound of the challenger's lead (FleetAdvisor.Cap).</summary>
        public int ChallengerCap = 4;
    }

    /// <summary>
    /// The fleet inside the firmware loop: the transport (MQTT on the board, a fake or the in-process
    /// broker in tests) and the FleetMember, driven only at the loop's safe point (before a sample is
    /// read, no update half done). Received models are verified there (refused ones give an
    /// `err code=fleet` line), taken after a flash checkpoint, blended and checked on the board's own
    /// stored labels, then judged on the next labelled samples and rolled back if accuracy drops.
    /// Every outcome is a `fleet` line.
    /// </summary>
    public sealed class FleetLink
    {
        private readonly IFleetTransport transport;
        private readonly FleetSettings settings;
        private readonly ProtocolWriter writer;
        private readonly byte[] inbox; // [MaxMessageBytes]
        private FleetMember member;
        private FleetAdvisor advisor; // with settings.Challenger: the fleet's model beside the board's own
        private Network boundNetwork;
        private bool joined;
        private long seenLabelled, seenCorrect, labelledAtPublish;
        private uint samplesAtStats;
        private uint staleBaseSaid; // the base the last "every channel from now on" err line named (0: none; base 0 is never stale)
        // Sequence numbers the newest checkpoint reserves (FirmwareCounters.FleetUpdateReserved/FleetStatsReserved): no
        // message goes out with a higher one, so a board rebooted from that checkpoint never repeats one it sent.
        private long updateReserved, statsReserved;
        private long pendingUpdateReserved, pendingStatsReserved; // what the checkpoint being written reserves

        /// <summary>
        /// Sequence numbers a checkpoint reserves ahead of the last message sent (of each kind): a message above the
        /// reservation first writes a checkpoint, so a power cut never loses a sequence number the fleet has seen. One
        /// checkpoint per this many messages at most (at the default 64 samples a statistics message: one per 65536 samples).
        /// </summary>
        public const long ReservedMessages = 1024;

        /// <summary>
        /// Where the sequences start after a boot from a checkpoint written before the fleet counters existed (both zero):
        /// that firmware persisted none, so the board assumes it sent fewer than this many messages of each kind since its
        /// last boot (at the default statistics rate, 2^26 samples: about 10 years at one sample every 5 s).
        /// </summary>
        public const long OlderCheckpointMargin = 1 << 20;

        public FleetLink(IFleetTransport transport, FleetSettings settings, ProtocolWriter writer)
        {
            if (transport == null || settings == null) throw new ArgumentException("a fleet link needs a transport and settings");
            this.transport = transport;
            this.settings = settings;
            this.writer = writer;
            inbox = new byte[settings.MaxMessageBytes];
        }

        public bool Joined { get { return joined; } }
        public FleetMember Member { get { return member; } }
        /// <summary>The fleet's model as a challenger (null unless settings.Challenger and bound with a predictor).</summary>
        public FleetAdvisor Advisor { get { return advisor; } }

        /// <summary>(Re)binds to the network the learner trains (after boot, reset or restore); take mode only.</summary>
        public void Bind(Network network, FirmwareCounters counters) { Bind(network, null, 0, counters, false, null, null); }

        /// <summary>Bind without the checkpoint's base rows (a base above 0 then sends every channel until a take).</summary>
        public void Bind(Network network, Network predictor, int historyCapacity, FirmwareCounters counters, bool defaultModel, FirmwareConfig config)
        {
            Bind(network, predictor, historyCapacity, counters, defaultModel, config, null);
        }

        /// <summary>
        /// After a boot that loaded a checkpoint: one written before the fleet counters existed has them at zero, and the
        /// board may have sent messages since its last boot; its sequences then start at <see cref="OlderCheckpointMargin"/>.
        /// </summary>
        public static void AfterCheckpointLoaded(FirmwareCounters counters)
        {
            if (counters.FleetUpdateReserved != 0 || counters.FleetStatsReserved != 0) return;
            counters.FleetUpdateReserved = OlderCheckpointMargin;
            counters.FleetStatsReserved = OlderCheckpointMargin;
        }

        /// <summary>
        /// (Re)binds to the network the learner trains (after boot, reset or restore). With
        /// settings.Challenger, predictor (a prediction-only network of the same shape) holds the
        /// fleet's model beside it; historyCapacity is the learner's history ring's (the challenger's
        /// and the agreement check's buffers are sized by it, here at start-up). The fleet counters go on from the
        /// previous member after a reset or restore, and from the counters a boot loaded (the sequences from their
        /// reservation): sequences and the highest merged version never go back. The base version is the counters'
        /// (0 after a reset, the restored or loaded checkpoint's otherwise). defaultModel: the network is the embedded
        /// default model as loaded (boot without a checkpoint, reset), exactly version 0's rows; otherwise it came from a
        /// checkpoint and learned since its base, and the board's updates carry every channel until it takes a merged model
        /// unless the previous member still holds that base (FleetMember.ResetBaseline), or the base is version 0: version 0's
        /// rows are the embedded default model (config.DefaultModelBytes), which a challenger's predictor is freshly loaded
        /// from, and which a take-mode board reads straight into the member's baseline (FleetMember.ResetBaseline(0, file):
        /// no second model, only the file's bytes for the moment; see <see cref="RebaseOnVersion0"/>). A base above 0: its
        /// rows come from the previous member when it holds them (a restore), else from the checkpoint that loaded
        /// (checkpointRows, the store: read into the member's buffer; see <see cref="RebaseFromCheckpoint"/>).
        /// </summary>
        public void Bind(Network network, Network predictor, int historyCapacity, FirmwareCounters counters, bool defaultModel, FirmwareConfig config, IBaseRowsSource checkpointRows)
        {
            long labelled = counters.Labelled, correct = counters.Correct;
            if (counters.FleetUpdateReserved > updateReserved) updateReserved = counters.FleetUpdateReserved;
            if (counters.FleetStatsReserved > statsReserved) statsReserved = counters.FleetStatsReserved;
            if (network == boundNetwork) return;
            boundNetwork = network;
            advisor = null;
            if (!ParameterSet.HasMasterWeights(network))
            {
                // An int8-only board: refused at join, never half in a fleet.
                member = null;
                if (joined) Leave(0);
                return;
            }
            FleetMember previous = member;
            member = new FleetMember(network, settings.BoardKey, settings.FleetKey, settings.MaxMessageBytes, 64);
            member.BoardId = settings.BoardId;
            member.ContinueFrom(previous);
            // A boot: messages up to the reservation may have gone out after the checkpoint; the next ones come after it.
            if (previous == null) member.Resume((uint)counters.FleetUpdateReserved, (uint)counters.FleetStatsReserved, (uint)counters.FleetHighestVersion);
            if (defaultModel) member.StartFromBase(0);
            else if (counters.FleetBaseVersion == 0) RebaseOnVersion0(settings.Challenger ? predictor : null, config);
            else RebaseFromCheckpoint((uint)counters.FleetBaseVersion, checkpointRows);
            // The statistics message goes on from the counters: after a boot the input statistics the checkpoint kept,
            // and always the class counts (the checkpoint's after a boot or restore, zero after a reset).
            if (previous == null && counters.HasStatistics) member.ResumeStatistics(counters.InputSamples, counters.InputSums);
            member.SetClassCounts(counters.ClassLabelled);
            member.TrialSamples = settings.TrialSamples;
            member.TrialLabelRatePerMille = settings.TrialLabelRatePerMille;
            member.MinimumTrialLabels = settings.TrialMinimumLabels;
            member.TolerancePerMille = settings.TolerancePerMille;
            member.ReplayTolerance = settings.ReplayTolerance;
            member.PairedTolerance = settings.PairedTolerance;
            member.PairedTrial = settings.PairedTrial;
            member.HistoryTolerance = settings.HistoryTolerance;
            member.KeepOwnHead = settings.KeepOwnHead;
            member.OwnWeightFactor = settings.OwnWeightFactor;
            member.AgreementBudget = settings.AgreementBudget;
            member.AgreementHalvings = settings.AgreementHalvings;
            member.AgreementEvidence = settings.AgreementEvidence;
            if (settings.AgreementBudget >= 0 && historyCapacity > 0) member.ReserveAgreement(historyCapacity);
            if (settings.Challenger && predictor != null && new ParameterSet(predictor).SameShape(member.Shape) && predictor.InputLength == network.InputLength)
            {
                advisor = new FleetAdvisor(predictor, historyCapacity);
                advisor.Threshold = settings.ChallengerThreshold;
                advisor.Cap = settings.ChallengerCap;
            }
            seenLabelled = labelled;
            seenCorrect = correct;
            labelledAtPublish = labelled;
        }

        /// <summary>
        /// The network came from a checkpoint whose base is version 0, whose rows are the embedded default model. The new
        /// member holds them when the previous one did (a restore after a bind that had them); otherwise they come from
        /// the challenger's predictor (loaded from that model at every bind: no cost) or, on a take-mode board, from the
        /// default model's file read into the member's baseline (a boot: the file's bytes, 3,411 B on 6-48-24-2, for the
        /// moment, no second model). Either way the updates carry only the channels that differ from the default model,
        /// not every channel until the board's first take. Rows that do not fit (never, with the firmware's own model):
        /// an err line, and every channel goes out until the board takes a merged model (a challenger never does).
        /// </summary>
        private void RebaseOnVersion0(Network predictor, FirmwareConfig config)
        {
            if (member.HoldsBaseRows(0) || predictor == null && config == null) { member.ResetBaseline(0); return; }
            try
            {
                if (predictor != null) member.ResetBaseline(0, predictor);
                else member.ResetBaseline(0, config.DefaultModelBytes());
            }
            catch (Exception e)
            {
                member.ResetBaseline(0);
                // Short: a line holds 200 characters and a longer msg is dropped whole (the text before this took 150).
                Error("every channel until a take (a challenger: for good); no version 0 rows (default model): " + e.Message);
            }
        }

        /// <summary>
        /// The network came from a checkpoint whose base is merged version `version` (above 0). The new member holds its
        /// rows when the previous one did (a restore); otherwise they come from the checkpoint (its base section, read
        /// straight into the member's buffer: no second model). Either way the updates carry only the channels trained
        /// since. A checkpoint without them (written before session 10, or while the board's base rows were unknown) or
        /// with a section that is cut, corrupt or of another shape: an err line saying why, and every channel goes out
        /// until the board takes a merged model (a challenger board never does). Without a source (rows): the latter, silently.
        /// </summary>
        private void RebaseFromCheckpoint(uint version, IBaseRowsSource rows)
        {
            if (member.HoldsBaseRows(version) || rows == null) { member.ResetBaseline(version); return; }
            string why;
            try { why = member.ResetBaseline(version, rows); }
            catch (Exception e) { member.ResetBaseline(version); why = e.Message; }
            if (why != null)
                Error("every channel until a take (a challenger: for good); no base v" + version + " rows: " + why); // short: a line holds 200 chars
        }

        /// <summary>The member's base rows a checkpoint keeps: exactly merged version BaseVersion's, above 0 (version 0's are the embedded default model); null otherwise.</summary>
        public ParameterSet BaseRowsToKeep { get { return member == null || member.BaseVersion == 0 ? null : member.ExactBaseRows; } }

        /// <summary>Before a checkpoint is written: the fleet counters it keeps, reserving sequence numbers ahead.</summary>
        public void BeforeCheckpoint(FirmwareCounters counters)
        {
            if (member == null) return;
            pendingUpdateReserved = (long)member.UpdateSequence + ReservedMessages;
            pendingStatsReserved = (long)member.StatsSequence + ReservedMessages;
            if (pendingUpdateReserved < updateReserved) pendingUpdateReserved = updateReserved;
            if (pendingStatsReserved < statsReserved) pendingStatsReserved = statsReserved;
            counters.FleetUpdateReserved = pendingUpdateReserved;
            counters.FleetStatsReserved = pendingStatsReserved;
            counters.FleetHighestVersion = member.HighestVersion;
            counters.FleetBaseVersion = member.BaseVersion;
            if (counters.HasStatistics) counters.InputSamples = member.CopyInputSums(counters.InputSums);
        }

        /// <summary>The checkpoint BeforeCheckpoint filled in is in flash (read back): its reservation holds.</summary>
        public void CheckpointSaved()
        {
            if (member == null) return;
            updateReserved = pendingUpdateReserved;
            statsReserved = pendingStatsReserved;
        }

        /// <summary>Whether the next message's sequence number (after `last`) is reserved in flash; if not, a checkpoint reserves it.</summary>
        private bool Reserved(uint last, bool stats, Action checkpoint)
        {
            if (last < (stats ? statsReserved : updateReserved)) return true;
            checkpoint();
            if (last < (stats ? statsReserved : updateReserved)) return true;
            Error((stats ? "statistics" : "update") + " not sent: no checkpoint reserves its sequence number (a reboot could repeat it)");
            return false;
        }

        public bool Join(long nowMs)
        {
            if (member == null && boundNetwork != null)
            {
                Error(FleetMember.NoMastersMessage);
                Line(nowMs, "join_refused");
                return false;
            }
            joined = transport.Connect();
            Line(nowMs, joined ? "joined" : "join_failed");
            return joined;
        }

        public void Leave(long nowMs)
        {
            transport.Disconnect();
            joined = false;
            Line(nowMs, "left");
        }

        public void Status(long nowMs) { Line(nowMs, "status"); }

        /// <summary>
        /// The safe point. checkpoint writes the board's flash checkpoint before a merged model is taken.
        /// Returns true when the model's parameters changed (taken or rolled back).
        /// </summary>
        public bool SafePoint(long nowMs, long labelled, long correct, ILearner learner, Action checkpoint)
        {
            if (member == null) return false;
            bool changed = false;
            // Labelled outcomes since the last call: the trial of a taken model.
            int trial = member.RecordLabelled((int)(labelled - seenLabelled), (int)(correct - seenCorrect));
            if (trial == FleetTrial.None) trial = member.JudgeTrial();
            bool newLabels = labelled != seenLabelled;
            seenLabelled = labelled;
            seenCorrect = correct;
            ContinualLearnerAdapter adapter = learner as ContinualLearnerAdapter;
            if (advisor != null && newLabels && adapter != null)
            {
                bool before = advisor.UsesChallenger;
                advisor.Score(adapter.Inner.History);
                if (advisor.UsesChallenger != before) ChallengerLine(nowMs, advisor.UsesChallenger ? "challenger_answers" : "own_answers");
            }
            if (trial == FleetTrial.Kept) Line(nowMs, "kept");
            else if (trial == FleetTrial.RolledBack) { Line(nowMs, "rolled_back"); checkpoint(); changed = true; }
            if (!joined) return changed;
            int length;
            while ((length = transport.TryReceive(inbox)) != 0)
            {
                if (length < 0) { Error("fleet message larger than " + inbox.Length + " bytes dropped"); continue; }
                if (FleetMessage.KindOf(inbox, length) == FleetMessage.KindReceipt) { Receipt(length); continue; }
                if (!member.Receive(inbox, length)) Error(member.LastError);
            }
            if (advisor != null)
            {
                // The own model is never replaced: no checkpoint, no trial; the challenger follows the fleet's versions.
                if (member.HasStaged && member.BuildChallenger((uint)labelled))
                {
                    advisor.Load(member.Challenger);
                    ChallengerLine(nowMs, "challenger");
                }
            }
            else if (member.ReadyToTake)
            {
                checkpoint();
                ReplayBuffer replay = adapter != null && settings.CheckOnStoredLabels ? adapter.Inner.Replay : null;
                HistoryRing history = adapter != null ? adapter.Inner.History : null;
                Model model = learner.Model;
                int inputExponent = model.Normalizer != null ? model.Normalizer.InputExponent : 0;
                uint version = member.StagedVersion;
                if (member.ApplyStaged(settings.BlendWithOwn ? (uint)labelled : 0, replay, history, inputExponent)) { Line(nowMs, "taken"); changed = true; }
                else { writer.Begin(Protocol.FleetLine); writer.Int("t_ms", nowMs); writer.Token("event", "declined"); writer.Int("version", version); writer.End(); }
            }
            if (settings.StatsEverySamples > 0 && member.InputSamples - samplesAtStats >= (uint)settings.StatsEverySamples && transport.IsConnected
                && Reserved(member.StatsSequence, true, checkpoint))
            {
                Model model = learner.Model;
                int bytes = member.WriteStats(model.Normalizer != null ? model.Normalizer.InputExponent : 0, (uint)labelled);
                if (transport.PublishUpdate(member.StatsBuffer, bytes))
                {
                    samplesAtStats = member.InputSamples;
                    writer.Begin(Protocol.FleetLine); writer.Int("t_ms", nowMs); writer.Token("event", "stats"); writer.Int("bytes", bytes);
                    writer.Int("seq", member.StatsSequence); writer.Int("samples", member.InputSamples); writer.End();
                }
            }
            if (labelled - labelledAtPublish >= settings.PublishEveryLabels && !member.InTrial && transport.IsConnected
                && Reserved(member.UpdateSequence, false, checkpoint))
            {
                if (member.BaseMayBeGone && staleBaseSaid != member.BaseVersion)
                {
                    staleBaseSaid = member.BaseVersion; // once a base: the updates on it go on carrying every channel
                    if (member.BaseVersion > member.HighestVersion) // after a receipt lowered the floor (Receipt below)
                        Error("every channel from now on: base v" + member.BaseVersion + " is above v" + member.HighestVersion + ", the newest of an aggregator that lost its state");
                    else Error("every channel from now on: base v" + member.BaseVersion + " is " + (member.HighestVersion - member.BaseVersion)
                        + " versions behind v" + member.HighestVersion + ", the aggregator may no longer keep it");
                }
                int bytes = member.WriteUpdate((uint)labelled, (uint)correct);
                if (transport.PublishUpdate(member.UpdateBuffer, bytes))
                {
                    member.UpdateDelivered();
                    labelledAtPublish = labelled;
                    writer.Begin(Protocol.FleetLine); writer.Int("t_ms", nowMs); writer.Token("event", "published"); writer.Int("bytes", bytes); writer.Int("base", member.BaseVersion); writer.End();
                    // The board's own model moved on: blend the fleet's model with it again.
                    if (advisor != null && member.BuildChallenger((uint)labelled)) advisor.Load(member.Challenger);
                }
                else Error("update not sent: broker unreachable");
            }
            return changed;
        }

        /// <summary>
        /// After the learner observed a sample: its normalised int8 input (the network's input) goes into the board's
        /// running input statistics. Per sample: integer, allocation-free. False when no member keeps them (the firmware's
        /// counters then do).
        /// </summary>
        public bool ObserveInput(Network network)
        {
            if (member == null || network != boundNetwork) return false;
            member.ObserveInput(network.Input.Data);
            return true;
        }

        /// <summary>Samples newly labelled with a class (FirmwareApp.Label): the class counts of the statistics message.</summary>
        public void CountLabels(int cls, int newlyLabelled)
        {
            if (member != null) member.CountLabels(cls, newlyLabelled);
        }

        /// <summary>
        /// After the learner's own prediction of the sample just observed: the prediction the board
        /// answers with (the challenger's while it leads, else the board's own). Allocation-free.
        /// </summary>
        public int Answer(int ownPrediction, ILearner learner)
        {
            if (advisor == null) return ownPrediction;
            ContinualLearnerAdapter adapter = learner as ContinualLearnerAdapter;
            if (adapter == null) return ownPrediction;
            return advisor.Advise(learner.Model.Network, adapter.Inner.History, ownPrediction);
        }

        private void ChallengerLine(long nowMs, string what)
        {
            writer.Begin(Protocol.FleetLine);
            writer.Int("t_ms", nowMs);
            writer.Token("event", what);
            writer.Int("version", member.ChallengerVersion);
            writer.Int("lead", advisor.Lead);
            writer.Int("answered", advisor.Answered);
            writer.Int("scored", advisor.Scored);
            writer.End();
        }

        private void Line(long nowMs, string what)
        {
            writer.Begin(Protocol.FleetLine);
            writer.Int("t_ms", nowMs);
            writer.Token("event", what);
            writer.Int("joined", joined ? 1 : 0);
            writer.Int("connected", transport.IsConnected ? 1 : 0);
            if (member != null)
            {
                writer.Int("base", member.BaseVersion);
                writer.Int("trial", member.InTrial ? 1 : 0);
                writer.Int("taken", member.Accepted);
                writer.Int("declined", member.Declined);
                writer.Int("rolled_back", member.RolledBack);
                writer.Int("refused", member.Rejected);
                writer.Int("agg_refused", member.AggregatorRefused);
                // Only once a receipt lowered the floor (the err line that said so may have scrolled away): the line is full
                // for a long-running board, and 0 is every healthy aggregator's case. Before the byte counts, so a full
                // line drops those first.
                if (member.FloorsLowered > 0) writer.Int("floors", member.FloorsLowered);
                writer.Int("sent_b", member.BytesSent);
                writer.Int("recv_b", member.BytesReceived);
            }
            writer.End();
        }

        /// <summary>
        /// An aggregator's receipt in the inbox: a refused receipt is an err line (member.LastError); a verified refusal is
        /// one `err code=fleet reason=.. kind=update|stats seq=.. agg_seq=.. agg_v=.. msg=..` line saying what the board does
        /// about it; an accepted update's receipt, and a second copy of a receipt already acted on, print nothing. A receipt
        /// that lowered the "newer than" floor (the aggregator lost its state: FleetMember.FloorsLowered) is first one
        /// `err code=fleet msg="aggregator lost its state: ..."` line.
        /// </summary>
        private void Receipt(int length)
        {
            if (!member.ReceiveReceipt(inbox, length)) { Error(member.LastError); return; }
            if (member.LastReceiptDuplicate) return; // MQTT's at-least-once second copy: already acted on, nothing to say
            int code = member.ReceiptCode;
            bool stats = member.ReceiptKind == FleetMessage.KindStats;
            if (member.LastReceiptLoweredFloor)
                Error("aggregator lost its state: its newest is v" + member.ReceiptVersion + ", below v" + member.FloorLoweredFrom + " verified before "
                    + (stats ? "statistics" : "update") + " seq " + member.ReceiptSequence + "; models above v" + member.ReceiptVersion + " are taken again");
            if (code == FleetMessage.ReceiptAccepted) return;
            string next;
            if (code == FleetMessage.ReceiptBaseGone || code == FleetMessage.ReceiptUnknownBase)
                next = stats ? "aggregator refused the statistics" : "aggregator does not hold base v" + member.BaseVersion + ": updates carry every channel";
            else if (code == FleetMessage.ReceiptReplayed)
                next = "sequence not above the aggregator's: next " + (stats ? "statistics" : "update") + " is seq " + ((stats ? (long)member.StatsSequence : (long)member.UpdateSequence) + 1);
            else if (code == FleetMessage.ReceiptBadTag) next = "fails the aggregator's HMAC check: is this board's key the one in its config?";
            else if (code == FleetMessage.ReceiptTooLarge) next = "over the aggregator's message size limit";
            else next = "the aggregator could not read it";
            writer.Begin(Protocol.Err);
            writer.Token("code", Protocol.FleetError);
            writer.Token("reason", FleetMessage.ReceiptCodeName(code));
            writer.Token("kind", stats ? "stats" : "update");
            writer.Int("seq", member.ReceiptSequence);
            writer.Int("agg_seq", member.ReceiptLastAccepted);
            writer.Int("agg_v", member.ReceiptVersion);
            writer.Text("msg", next);
            writer.End();
        }

        private void Error(string message)
        {
            writer.Begin(Protocol.Err);
            writer.Token("code", Protocol.FleetError);
            writer.Text("msg", message);
            writer.End();
        }
    }
}
