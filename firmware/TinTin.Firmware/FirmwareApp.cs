using System;
using TinTin.Core;
using TinTin.Sensors;

namespace TinTin.Firmware
{
    /// <summary>
    /// The app: one instance runs on a board (firmware/TinTin.Firmware.Board) and on the host
    /// (tools/TinTin.VirtualBoard) with different <see cref="FirmwareHardware"/> bindings.
    ///
    /// Start-up loads the newest valid checkpoint from flash, else the embedded default model.
    /// Each <see cref="Step"/>: serial commands → button → read a sample → features → predict →
    /// LED → pred line → integer update when due → stat line → checkpoint when due. Everything is
    /// allocated in <see cref="Start"/>; the per-sample path allocates nothing in this class
    /// (reset and checkpoint loading rebuild the model, which only happens on command or at boot).
    /// A bad command gets an err line; an exception in a command is caught and reported as err,
    /// never allowed to stop the loop.
    /// </summary>
    public sealed class FirmwareApp
    {
        private readonly FirmwareHardware hw;
        private readonly FirmwareConfig config;
        private readonly ILearnerFactory factory;
        private readonly ProtocolWriter writer;
        private readonly FleetLink fleet; // null without a fleet transport
        private readonly CommandParser parser = new CommandParser();
        private readonly Command command = new Command();
        private readonly FirmwareCounters counters = new FirmwareCounters();
        private readonly SensorFaults faults = new SensorFaults();
        private readonly EnvironmentSample sample = new EnvironmentSample();

        private FeaturePipeline pipeline;
        private int[] raw;
        private CheckpointStore store;
        private ILearner learner;
        private string modelSource = "default";
        private int engineBytes;
        private int classCount;

        // predictions remembered for scoring late labels
        private long[] historyTime;
        private byte[] historyClass;
        private bool[] historyLabelled;
        private int historyNext;
        private int historyCount;

        private bool started;
        private bool predLines;
        private long lastCheckpointMs;
        private int updatesAtLastCheckpoint;
        private int lastReselections;
        private int lastDriftSignals;
        private long lastPredictUs;
        private long lastUpdateUs;
        private long lastUpdateUj;
        private long lastUpdateMacs;
        private int lastPrediction = -1;
        private int lastLabel = -1;
        private int pipelineRejectedSeen;
        private bool lastStepPredicted;

        /// <summary>Commands that threw inside the firmware (caught, answered with err).</summary>
        public int CommandFailures;
        /// <summary>The last exception message caught in the loop (diagnostics).</summary>
        public string LastFailure;

        public FirmwareApp(FirmwareHardware hardware, FirmwareConfig config, ILearnerFactory learnerFactory)
        {
            if (hardware == null || hardware.Source == null || hardware.Serial == null || hardware.Clock == null || hardware.Flash == null || hardware.Board == null)
                throw new ArgumentException("firmware needs a sample source, serial port, clock, flash and board profile");
            if (config == null || config.DefaultModel == null || config.FeatureIds == null)
                throw new ArgumentException("firmware needs a default model and its feature ids");
            if (learnerFactory == null) throw new ArgumentException("firmware needs a learner factory");
            hw = hardware;
            this.config = config;
            factory = learnerFactory;
            writer = new ProtocolWriter(hardware.Serial);
            if (hardware.Fleet != null && config.Fleet != null) fleet = new FleetLink(hardware.Fleet, config.Fleet, writer);
        }

        public FirmwareCounters Counters { get { return counters; } }
        public ILearner Learner { get { return learner; } }
        public Model Model { get { return learner.Model; } }
        public string ModelSource { get { return modelSource; } }
        public int EngineBytes { get { return engineBytes; } }
        public CheckpointStore Checkpoints { get { return store; } }
        public SensorFaults Faults { get { return faults; } }
        /// <summary>The class predicted for the last sample (-1 before the first).</summary>
        public int LastPrediction { get { return lastPrediction; } }
        /// <summary>The last sample read (valid after a Step that returned true).</summary>
        public EnvironmentSample LastSample { get { return sample; } }
        public long LastPredictMicroseconds { get { return lastPredictUs; } }
        public long LastUpdateMicroseconds { get { return lastUpdateUs; } }
        public long LastUpdateMicroJoules { get { return lastUpdateUj; } }
        public long LastUpdateMacs { get { return lastUpdateMacs; } }
        public int ClassCount { get { return classCount; } }
        /// <summary>Raw features of the last predicted sample (read-only use; overwritten every sample).</summary>
        public int[] LastFeatures { get { return raw; } }
        /// <summary>Whether the last Step made a prediction (a sample was read, valid and past warm-up).</summary>
        public bool LastStepPredicted { get { return lastStepPredicted; } }

        /// <summary>Loads the model (flash, else default), allocates everything, prints hello.</summary>
        public void Start()
        {
            pipeline = new FeaturePipeline(config.FeatureIds, config.WindowSamples);
            raw = new int[config.FeatureIds.Length];
            historyTime = new long[config.HistorySamples];
            historyClass = new byte[config.HistorySamples];
            historyLabelled = new bool[config.HistorySamples];
            predLines = config.PredLines;

            Model defaultModel = LoadDefaultModel();
            store = new CheckpointStore(hw.Flash, ModelFile.SizeOf(defaultModel));
            store.ModelHeapLimit = hw.Board.Device.HeapBytes;
            Model model = null;
            try { model = store.LoadLatest(counters, factory.TrainingCapacityInts, factory.WithMomentum, defaultModel.Network.InputLength, defaultModel.Network.ClassCount); }
            catch (Exception e) { LastFailure = e.Message; model = null; }
            if (model != null && !SameShape(model, defaultModel))
            {
                LastFailure = "checkpoint model does not match this firmware's features";
                model = null;
                counters.Clear();
            }
            if (model != null) modelSource = "flash";
            else { model = defaultModel; modelSource = "default"; }
            counters.Boots++;
            UseModel(model);
            lastCheckpointMs = hw.Clock.NowMs;
            started = true;
            Hello();
            for (int i = 0; i < store.RejectionCount; i++)
                Error(Protocol.FlashError, "skipped checkpoint " + store.Rejection(i));
            if (fleet != null && config.Fleet.JoinAtStart) fleet.Join(hw.Clock.NowMs);
        }

        /// <summary>
        /// One iteration of the loop. Returns false when the sample source has no more data (replay
        /// finished); a board's source never ends.
        /// </summary>
        public bool Step()
        {
            if (!started) throw new InvalidOperationException("call Start first");
            lastStepPredicted = false;
            PollSerial();
            PollButton();
            FleetSafePoint();
            int status = hw.Source.Read(sample);
            if (status == SampleStatus.EndOfData) return false;
            if (status != SampleStatus.Ok)
            {
                faults.Count(status);
                counters.Faults++;
                Error(Protocol.SensorError, SampleStatus.Name(status));
                return true;
            }
            long now = hw.Clock.NowMs;
            bool ready = pipeline.Push(sample, raw);
            if (pipeline.Rejected != pipelineRejectedSeen)
            {
                pipelineRejectedSeen = pipeline.Rejected;
                faults.Count(pipeline.LastRejectStatus);
                counters.Faults++;
                Error(Protocol.SensorError, SampleStatus.Name(pipeline.LastRejectStatus));
                return true;
            }
            if (!ready) return true;

            OpCounters ops = learner.Model.Network.Counters;
            long macs0 = ops.TotalMacs, t0 = hw.Clock.NowUs;
            int predicted = learner.Observe(raw, now);
            long measured = hw.Clock.NowUs - t0;
            long macs = ops.TotalMacs - macs0;
            long us = hw.Board.StepMicroseconds(measured, macs);
            lastPredictUs = us;
            counters.PredictUsTotal += us;
            counters.MacsTotal += macs;
            counters.EnergyTotalUj += hw.Board.MicroJoulesFor(us);
            counters.Samples++;
            lastPrediction = predicted;
            lastStepPredicted = true;
            if (hw.Led != null) hw.Led.Set(predicted == 1);
            Remember(now, predicted);
            if (predLines)
            {
                writer.Begin(Protocol.Pred);
                writer.Int("t_ms", now);
                writer.Int("cls", predicted);
                for (int i = 0; i < raw.Length; i++) writer.Int(FeatureKey(i), raw[i]);
                writer.End();
            }
            TryUpdate(now);
            if (config.StatEverySamples > 0 && counters.Samples % config.StatEverySamples == 0) Stat();
            if (learner.Updates != updatesAtLastCheckpoint && now - lastCheckpointMs >= config.CheckpointIntervalMs) Checkpoint();
            return true;
        }

        /// <summary>Serial commands and the button only, no sample: a board calls this between sampling periods.</summary>
        public void PollInput()
        {
            if (!started) throw new InvalidOperationException("call Start first");
            PollSerial();
            PollButton();
        }

        /// <summary>Handles one command line as if it came over serial (the loop calls this for every received line).</summary>
        public void HandleLine(string line)
        {
            try
            {
                parser.Parse(line, command);
                switch (command.Code)
                {
                    case CommandCode.None: return;
                    case CommandCode.Error: Error(command.ErrorCode, command.ErrorMessage); return;
                    case CommandCode.Label: LabelCommand(); return;
                    case CommandCode.Save: SaveCommand(); return;
                    case CommandCode.Reset: ResetCommand(command.Arg1 == 1); return;
                    case CommandCode.Restore: RestoreCommand(); return;
                    case CommandCode.Budget: BudgetCommand(); return;
                    case CommandCode.Status: Stat(); return;
                    case CommandCode.Help: HelpCommand(); return;
                    case CommandCode.Fleet: FleetCommand((int)command.Arg1); return;
                    case CommandCode.Pred:
                        predLines = command.Arg1 != 0;
                        writer.Begin(Protocol.Ok); writer.Token("cmd", "pred"); writer.Int("on", predLines ? 1 : 0); writer.End();
                        return;
                }
            }
            catch (Exception e)
            {
                CommandFailures++;
                LastFailure = e.Message;
                Error("failed", e.Message);
            }
        }

        /// <summary>Labels the last `seconds` of samples with a class (the `label` command and the button both come here).</summary>
        public int Label(int cls, long seconds)
        {
            long now = hw.Clock.NowMs;
            long from = now - seconds * 1000;
            int n = learner.LabelRecent(cls, from, now);
            Score(cls, from, now);
            lastLabel = cls;
            return n;
        }

        // ---- commands ---------------------------------------------------------------------------

        private void LabelCommand()
        {
            if (command.Arg1 < 0 || command.Arg1 >= classCount) { Error(Protocol.BadArgument, "class must be 0.." + (classCount - 1)); return; }
            long seconds = command.HasArg2 ? command.Arg2 : config.DefaultLabelSeconds;
            if (seconds < 1 || seconds > 7 * 24 * 3600) { Error(Protocol.BadArgument, "seconds must be 1..604800"); return; }
            counters.LabelCommands++;
            int n = Label((int)command.Arg1, seconds);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "label"); writer.Int("cls", command.Arg1); writer.Int("n", n); writer.End();
            TryUpdate(hw.Clock.NowMs);
        }

        private void SaveCommand()
        {
            writer.Begin(Protocol.Ok); writer.Token("cmd", "save"); writer.End();
            Checkpoint();
        }

        private void ResetCommand(bool confirmed)
        {
            if (!confirmed)
            {
                // Forgetting must be deliberate: nothing changes until `reset confirm`.
                writer.Begin(Protocol.Ok); writer.Token("cmd", "reset"); writer.Int("confirmed", 0);
                writer.Text("msg", "nothing forgotten: send reset confirm"); writer.End();
                return;
            }
            Model model = LoadDefaultModel();
            long boots = counters.Boots, checkpoints = counters.Checkpoints;
            counters.Clear();
            counters.Boots = boots;
            counters.Checkpoints = checkpoints;
            historyCount = 0;
            historyNext = 0;
            pipeline.Reset();
            modelSource = "default";
            UseModel(model);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "reset"); writer.Int("confirmed", 1); writer.End();
            Hello();
            // Persist the reset (or the next boot would bring the forgotten model back) without
            // touching the learned checkpoint: `restore` can bring it back until new learning replaces it.
            Checkpoint(true);
        }

        private void RestoreCommand()
        {
            long boots = counters.Boots, checkpoints = counters.Checkpoints;
            Model model = store.Restore(counters, factory.TrainingCapacityInts, factory.WithMomentum);
            if (model == null)
            {
                Error(Protocol.NothingKept, store.KeptSlot < 0 ? "no model kept from before a reset" : "the kept checkpoint does not load");
                return;
            }
            counters.Boots = boots;
            counters.Checkpoints = checkpoints;
            historyCount = 0;
            historyNext = 0;
            pipeline.Reset();
            modelSource = "flash";
            UseModel(model);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "restore"); writer.End();
            Hello();
            Checkpoint(); // written to the other slot: a reboot comes back with the restored model
        }

        private void BudgetCommand()
        {
            if (command.Arg1 < 0 || command.Arg1 > int.MaxValue) { Error(Protocol.BadArgument, "bytes must be 0..2147483647"); return; }
            long macs = command.HasArg2 ? command.Arg2 : learner.BudgetMacs;
            if (macs < 0) { Error(Protocol.BadArgument, "macs must not be negative"); return; }
            learner.SetBudget((int)command.Arg1, macs);
            lastReselections = learner.Reselections;
            RefreshEngineBytes();
            writer.Begin(Protocol.Ok); writer.Token("cmd", "budget"); writer.Int("bytes", command.Arg1); writer.Int("macs", macs); writer.End();
            Selection("budget");
        }

        /// <summary>The fleet at the loop's safe point: before a sample is read, no update half done.</summary>
        private void FleetSafePoint()
        {
            if (fleet == null) return;
            if (fleet.SafePoint(hw.Clock.NowMs, counters.Labelled, counters.Correct, learner, Checkpoint)) RefreshEngineBytes();
        }

        private void FleetCommand(int action)
        {
            if (fleet == null) { Error(Protocol.FleetError, "this board has no fleet transport"); return; }
            long now = hw.Clock.NowMs;
            if (action == 1) fleet.Join(now);
            else if (action == 2) fleet.Leave(now);
            else fleet.Status(now);
        }

        /// <summary>The fleet link (null when the board has no fleet transport).</summary>
        public FleetLink Fleet { get { return fleet; } }

        private void HelpCommand()
        {
            HelpLine("fleet", "[join|leave|status]", "join or leave the fleet (MQTT), or print a fleet line");
            HelpLine("label", "class_[seconds]", "label the recent samples (default the last " + config.DefaultLabelSeconds + " s) and update");
            HelpLine("save", "-", "write a checkpoint now");
            HelpLine("reset", "confirm", "forget what was learned (only with confirm): back to the embedded default model");
            HelpLine("restore", "-", "bring back the model from before the last reset (until new learning replaces it)");
            HelpLine("budget", "bytes_[macs]", "set the update budget and re-select channels");
            HelpLine("status", "-", "print stat lines now");
            HelpLine("pred", "on|off", "switch the per-sample pred lines");
            HelpLine("help", "-", "this list");
        }

        private void HelpLine(string cmd, string args, string msg)
        {
            writer.Begin(Protocol.Help); writer.Token("cmd", cmd); writer.Token("args", args); writer.Text("msg", msg); writer.End();
        }

        // ---- loop pieces ------------------------------------------------------------------------

        private void PollSerial()
        {
            for (int i = 0; i < config.MaxCommandsPerStep; i++)
            {
                string line;
                try { line = hw.Serial.ReadLine(); }
                catch (Exception e) { LastFailure = e.Message; return; }
                if (line == null) return;
                HandleLine(line);
            }
        }

        private void PollButton()
        {
            if (hw.Button == null) return;
            int press = hw.Button.PollPress();
            if (press == ButtonPress.None) return;
            counters.ButtonPresses++;
            int cls = press == ButtonPress.Long ? 1 : 0;
            if (cls >= classCount) cls = classCount - 1;
            int n = Label(cls, config.ButtonWindowMs / 1000);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "button"); writer.Int("cls", cls); writer.Int("n", n); writer.End();
            TryUpdate(hw.Clock.NowMs);
        }

        private void TryUpdate(long now)
        {
            OpCounters ops = learner.Model.Network.Counters;
            long macs0 = ops.TotalMacs, t0 = hw.Clock.NowUs;
            bool updated;
            try { updated = learner.UpdateIfDue(now); }
            catch (Exception e) { LastFailure = e.Message; Error(Protocol.UpdateError, e.Message); return; }
            if (!updated) return;
            long measured = hw.Clock.NowUs - t0;
            long macs = ops.TotalMacs - macs0;
            long us = hw.Board.StepMicroseconds(measured, macs);
            long uj = hw.Board.MicroJoulesFor(us);
            lastUpdateUs = us;
            lastUpdateUj = uj;
            lastUpdateMacs = macs;
            counters.Updates++;
            counters.MacsTotal += macs;
            counters.MacsUpdates += macs;
            counters.EnergyTotalUj += uj;
            counters.EnergyUpdatesUj += uj;
            writer.Begin(Protocol.Upd);
            writer.Int("t_ms", now);
            writer.Int("n", learner.LastUpdateSamples);
            writer.Int("label", lastLabel);
            writer.Int("loss_q16", learner.LastLossQ16);
            writer.Int("macs", macs);
            writer.Int("us", us);
            writer.Int("uj", uj);
            writer.Int("bytes", learner.LastUpdateBytes);
            writer.End();
            if (learner.Reselections != lastReselections)
            {
                bool drift = learner.DriftSignals != lastDriftSignals;
                lastReselections = learner.Reselections;
                lastDriftSignals = learner.DriftSignals;
                RefreshEngineBytes();
                Selection(drift ? "drift" : "periodic");
            }
        }

        private void Checkpoint() { Checkpoint(false); }

        private void Checkpoint(bool afterReset)
        {
            long now = hw.Clock.NowMs;
            try
            {
                counters.Checkpoints++;
                // Since a reset the learned model's slot is kept; new learning may replace it.
                if (!afterReset && store.KeptSlot >= 0 && learner.Updates > 0) store.ReleaseKept();
                int slot = afterReset ? store.SaveReset(learner.Model, counters) : store.Save(learner.Model, counters);
                lastCheckpointMs = now;
                updatesAtLastCheckpoint = learner.Updates;
                writer.Begin(Protocol.Ckpt);
                writer.Int("t_ms", now);
                writer.Int("seq", store.LastSequence);
                writer.Int("slot", slot);
                writer.Int("bytes", store.LastBytes);
                writer.End();
            }
            catch (Exception e)
            {
                counters.Checkpoints--;
                LastFailure = e.Message;
                lastCheckpointMs = now; // do not retry every sample
                Error(Protocol.FlashError, "checkpoint failed: " + e.Message);
            }
        }

        /// <summary>Writes the stat lines now (two lines: together they exceed 200 characters).</summary>
        public void Stat()
        {
            long now = hw.Clock.NowMs;
            int heap = hw.Heap != null ? hw.Heap.FreeBytes() : -1;
            writer.Begin(Protocol.Stat);
            writer.Int("part", 1);
            writer.Int("t_ms", now);
            writer.Int("heap", heap);
            writer.Int("engine_bytes", engineBytes);
            writer.Int("samples", counters.Samples);
            writer.Int("labelled", counters.Labelled);
            writer.Int("correct", counters.Correct);
            writer.Int("acc_pm", counters.AccuracyPerMille);
            writer.Int("updates", counters.Updates);
            writer.Int("ckpts", counters.Checkpoints);
            writer.Int("faults", counters.Faults);
            writer.Int("selected", learner.SelectedChannels);
            writer.End();
            writer.Begin(Protocol.Stat);
            writer.Int("part", 2);
            writer.Int("t_ms", now);
            writer.Int("predict_us", lastPredictUs);
            writer.Int("update_us", lastUpdateUs);
            writer.Int("macs_total", counters.MacsTotal);
            writer.Int("macs_update", lastUpdateMacs);
            writer.Int("uj_update", lastUpdateUj);
            writer.Int("uj_total", counters.EnergyTotalUj);
            writer.Int("budget_bytes", learner.BudgetBytes);
            writer.Int("budget_macs", learner.BudgetMacs);
            writer.End();
        }

        private void Hello()
        {
            writer.Begin(Protocol.Hello);
            writer.Token("board", hw.Board.Name);
            writer.Token("fw", config.FirmwareVersion);
            writer.Token("model", config.ModelName);
            writer.Token("source", modelSource);
            writer.Int("classes", classCount);
            writer.Int("features", raw.Length);
            writer.Int("engine_bytes", engineBytes);
            writer.Int("heap", hw.Heap != null ? hw.Heap.FreeBytes() : -1);
            writer.Token("sensor", hw.Source.Name);
            writer.Int("boots", counters.Boots);
            writer.End();
        }

        private void Selection(string reason)
        {
            Network network = learner.Model.Network;
            writer.Begin(Protocol.Sel);
            writer.Int("t_ms", hw.Clock.NowMs);
            writer.Token("reason", reason);
            writer.Int("channels", learner.SelectedChannels);
            writer.Int("bytes", network.BackwardBytes());
            writer.Int("macs", network.BackwardMacs());
            writer.End();
        }

        private void Error(string code, string message)
        {
            writer.Begin(Protocol.Err);
            writer.Token("code", code);
            writer.Text("msg", message);
            writer.End();
        }

        // ---- helpers ----------------------------------------------------------------------------

        private Model LoadDefaultModel()
        {
            return ModelFile.Load(config.DefaultModel, config.DefaultModel.Length, factory.TrainingCapacityInts, factory.WithMomentum);
        }

        private bool SameShape(Model a, Model b)
        {
            if (a.Network.InputLength != b.Network.InputLength || a.Network.ClassCount != b.Network.ClassCount) return false;
            return ModelFile.SizeOf(a) == ModelFile.SizeOf(b);
        }

        private void UseModel(Model model)
        {
            if (model.Network.InputLength != raw.Length)
                throw new ArgumentException("the model takes " + model.Network.InputLength + " features, the firmware computes " + raw.Length);
            learner = factory.Create(model);
            classCount = model.Network.ClassCount;
            lastReselections = learner.Reselections;
            lastDriftSignals = learner.DriftSignals;
            updatesAtLastCheckpoint = learner.Updates;
            RefreshEngineBytes();
            if (fleet != null) fleet.Bind(model.Network, counters.Labelled, counters.Correct);
        }

        private void RefreshEngineBytes()
        {
            engineBytes = learner.Model.Network.TotalMemoryBytes(); // allocation-free (DescribeMemory builds a plan)
        }

        private void Remember(long timeMs, int cls)
        {
            historyTime[historyNext] = timeMs;
            historyClass[historyNext] = (byte)cls;
            historyLabelled[historyNext] = false;
            historyNext++;
            if (historyNext == historyTime.Length) historyNext = 0;
            if (historyCount < historyTime.Length) historyCount++;
        }

        /// <summary>Scores the remembered predictions in [from, to] against a late label: accuracy so far (prequential).</summary>
        private void Score(int cls, long from, long to)
        {
            int index = historyNext;
            for (int k = 0; k < historyCount; k++)
            {
                index--;
                if (index < 0) index = historyTime.Length - 1;
                long t = historyTime[index];
                if (t < from) break;
                if (t > to || historyLabelled[index]) continue;
                historyLabelled[index] = true;
                counters.Labelled++;
                if (historyClass[index] == cls) counters.Correct++;
            }
        }

        private static readonly string[] FeatureKeys = new string[] { "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15" };

        private static string FeatureKey(int i) { return i < FeatureKeys.Length ? FeatureKeys[i] : "fx"; }
    }
}
