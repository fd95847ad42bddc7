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
        /// <summary>Join at start-up (else only on `fleet join`).</summary>
        public bool JoinAtStart;
        /// <summary>Labelled samples a taken model is judged on (FleetMember.TrialSamples).</summary>
        public int TrialSamples = 32;
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
        /// <summary>The board's own labels count this many times when it blends the fleet's model with its own (FleetMember.OwnWeightFactor; docs/FLEET.md: 2 lost least across layouts and seeds).</summary>
        public int OwnWeightFactor = 2;
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
        private Network boundNetwork;
        private bool joined;
        private long seenLabelled, seenCorrect, labelledAtPublish;

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

        /// <summary>(Re)binds to the network the learner trains (after boot, reset or restore).</summary>
        public void Bind(Network network, long labelled, long correct)
        {
            if (network == boundNetwork) return;
            boundNetwork = network;
            if (!ParameterSet.HasMasterWeights(network))
            {
                // An int8-only board: refused at join, never half in a fleet.
                member = null;
                if (joined) Leave(0);
                return;
            }
            member = new FleetMember(network, settings.BoardKey, settings.FleetKey, settings.MaxMessageBytes, 64);
            member.TrialSamples = settings.TrialSamples;
            member.TolerancePerMille = settings.TolerancePerMille;
            member.ReplayTolerance = settings.ReplayTolerance;
            member.PairedTolerance = settings.PairedTolerance;
            member.PairedTrial = settings.PairedTrial;
            member.HistoryTolerance = settings.HistoryTolerance;
            member.KeepOwnHead = settings.KeepOwnHead;
            member.OwnWeightFactor = settings.OwnWeightFactor;
            seenLabelled = labelled;
            seenCorrect = correct;
            labelledAtPublish = labelled;
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
            seenLabelled = labelled;
            seenCorrect = correct;
            if (trial == FleetTrial.Kept) Line(nowMs, "kept");
            else if (trial == FleetTrial.RolledBack) { Line(nowMs, "rolled_back"); checkpoint(); changed = true; }
            if (!joined) return changed;
            int length;
            while ((length = transport.TryReceive(inbox)) != 0)
            {
                if (length < 0) { Error("merged model larger than " + inbox.Length + " bytes dropped"); continue; }
                if (!member.Receive(inbox, length)) Error(member.LastError);
            }
            if (member.ReadyToTake)
            {
                checkpoint();
                ContinualLearnerAdapter adapter = learner as ContinualLearnerAdapter;
                ReplayBuffer replay = adapter != null && settings.CheckOnStoredLabels ? adapter.Inner.Replay : null;
                HistoryRing history = adapter != null ? adapter.Inner.History : null;
                Model model = learner.Model;
                int inputExponent = model.Normalizer != null ? model.Normalizer.InputExponent : 0;
                uint version = member.StagedVersion;
                if (member.ApplyStaged(settings.BlendWithOwn ? (uint)labelled : 0, replay, history, inputExponent)) { Line(nowMs, "taken"); changed = true; }
                else { writer.Begin(Protocol.FleetLine); writer.Int("t_ms", nowMs); writer.Token("event", "declined"); writer.Int("version", version); writer.End(); }
            }
            if (labelled - labelledAtPublish >= settings.PublishEveryLabels && !member.InTrial && transport.IsConnected)
            {
                int bytes = member.WriteUpdate((uint)labelled, (uint)correct);
                if (transport.PublishUpdate(member.UpdateBuffer, bytes))
                {
                    labelledAtPublish = labelled;
                    writer.Begin(Protocol.FleetLine); writer.Int("t_ms", nowMs); writer.Token("event", "published"); writer.Int("bytes", bytes); writer.Int("base", member.BaseVersion); writer.End();
                }
                else Error("update not sent: broker unreachable");
            }
            return changed;
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
                writer.Int("sent_b", member.BytesSent);
                writer.Int("recv_b", member.BytesReceived);
            }
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
