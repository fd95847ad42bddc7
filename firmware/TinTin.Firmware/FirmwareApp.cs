using System;
using TinTin.Core;
using TinTin.Fleet;
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
    /// Commands: <see cref="FirmwareCommands"/> (err lines, never stopping the loop); report lines:
    /// <see cref="StatusLines"/>; late labels are scored from the learner's history.
    /// </summary>
    public sealed class FirmwareApp
    {
        private readonly FirmwareHardware hw;
        private readonly FirmwareConfig config;
        private readonly ILearnerFactory factory;
        private readonly ProtocolWriter writer;
        private readonly FleetLink fleet; // null without a fleet transport
        private readonly FirmwareCommands commands;
        private readonly StatusLines lines;
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
            if (config == null || !config.HasDefaultModel || config.FeatureIds == null)
                throw new ArgumentException("firmware needs a default model and its feature ids");
            if (learnerFactory == null) throw new ArgumentException("firmware needs a learner factory");
            hw = hardware;
            this.config = config;
            factory = learnerFactory;
            writer = new ProtocolWriter(hardware.Serial);
            commands = new FirmwareCommands(this, writer, config);
            lines = new StatusLines(this, hardware, config, writer);
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
            predLines = config.PredLines;

            // The default model's shape sizes the checkpoint store. When the flash holds data it is
            // dropped before a checkpoint is loaded (and parsed again if none loads), so boot never
            // holds two models at once; with empty flash it is kept: parsing it twice would leave the
            // first copy's blocks as holes between the model and the learner.
            Model defaultModel = LoadDefaultModel();
            int defaultBytes = ModelFile.SizeOf(defaultModel);
            int inputLength = defaultModel.Network.InputLength, classCount = defaultModel.Network.ClassCount;
            store = new CheckpointStore(hw.Flash, defaultBytes, inputLength, classCount);
            counters.SizeStatistics(inputLength, classCount);
            store.TrainingMode = factory.TrainingMode;
            store.ModelHeapLimit = hw.Board.Device.HeapBytes;
            if (store.HoldsData()) defaultModel = null;
            Model model = null;
            try { model = store.LoadLatest(counters, factory.TrainingCapacityInts, factory.WithMomentum, inputLength, classCount); }
            catch (Exception e) { LastFailure = e.Message; model = null; }
            if (model != null && (model.Network.InputLength != inputLength || model.Network.ClassCount != classCount || ModelFile.SizeOf(model) != defaultBytes))
            {
                LastFailure = "checkpoint model does not match this firmware's features";
                model = null;
                counters.Clear();
                counters.ClearInputStatistics();
            }
            if (model != null)
            {
                modelSource = "flash";
                if (fleet != null) FleetLink.AfterCheckpointLoaded(counters);
            }
            else { model = defaultModel != null ? defaultModel : LoadDefaultModel(); modelSource = "default"; }
            defaultModel = null;
            counters.Boots++;
            UseModel(model);
            lastCheckpointMs = hw.Clock.NowMs;
            started = true;
            Hello();
            for (int i = 0; i < store.RejectionCount; i++)
                Error(Protocol.FlashError, "skipped checkpoint " + store.Rejection(i));
            if (modelSource == "flash" && !store.LoadedStatistics) OlderCheckpointLine();
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
            if (fleet != null) predicted = fleet.Answer(predicted, learner); // the fleet's challenger, while it beats the board's own model
            long measured = hw.Clock.NowUs - t0;
            // The board's input statistics (FleetMessage kind 3; the checkpoint keeps them): the fleet member's, else the counters'.
            if (fleet == null || !fleet.ObserveInput(learner.Model.Network)) counters.ObserveInput(learner.Model.Network.Input.Data);
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
            if (predLines)
            {
                lines.Prediction(now, predicted, raw);
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

        /// <summary>Handles one command line as if it came over serial (the loop calls this for every received line; see <see cref="FirmwareCommands"/>).</summary>
        public void HandleLine(string line) { commands.Handle(line); }

        /// <summary>
        /// Labels the last `seconds` of samples with a class (the `label` command and the button both
        /// come here). The samples labelled for the first time score the predictions made when they
        /// were observed (prequential accuracy), from the learner's history.
        /// </summary>
        public int Label(int cls, long seconds)
        {
            long now = hw.Clock.NowMs;
            long from = now - seconds * 1000;
            int n = learner.LabelRecent(cls, from, now);
            counters.Labelled += learner.LastNewlyLabelled;
            counters.Correct += learner.LastNewlyLabelledCorrect;
            counters.CountLabels(cls, learner.LastNewlyLabelled);
            if (fleet != null) fleet.CountLabels(cls, learner.LastNewlyLabelled);
            lastLabel = cls;
            return n;
        }

        /// <summary>Whether a pred line goes out per sample (the `pred` command switches it).</summary>
        public bool PredLines { get { return predLines; } set { predLines = value; } }
        /// <summary>The clock's time (ms).</summary>
        public long NowMs { get { return hw.Clock.NowMs; } }

        // ---- state changes the commands ask for ----------------------------------------------------

        /// <summary>Back to the embedded default model: counters cleared except boots and checkpoints, feature window restarted, a new learner.</summary>
        internal void ForgetLearning()
        {
            Model model = LoadDefaultModel();
            long boots = counters.Boots, checkpoints = counters.Checkpoints;
            counters.Clear();
            counters.Boots = boots;
            counters.Checkpoints = checkpoints;
            pipeline.Reset();
            modelSource = "default";
            UseModel(model);
        }

        /// <summary>Brings back the model (and counters) kept from before the last reset; false, with an err line, when there is none.</summary>
        internal bool RestoreKept()
        {
            long boots = counters.Boots, checkpoints = counters.Checkpoints;
            Model model = store.Restore(counters, factory.TrainingCapacityInts, factory.WithMomentum);
            if (model == null)
            {
                Error(Protocol.NothingKept, store.KeptSlot < 0 ? "no model kept from before a reset" : "the kept checkpoint does not load");
                return false;
            }
            counters.Boots = boots;
            counters.Checkpoints = checkpoints;
            pipeline.Reset();
            modelSource = "flash";
            UseModel(model);
            if (!store.LoadedStatistics) OlderCheckpointLine();
            return true;
        }

        /// <summary>A checkpoint from before the statistics section loaded: what it lacks starts at 0 (one err line, nothing else lost).</summary>
        private void OlderCheckpointLine()
        {
            Error(Protocol.FlashError, "checkpoint slot " + store.LastSlot + " predates the class counts: labelled samples per class and input statistics start at 0");
        }

        /// <summary>The fleet at the loop's safe point: before a sample is read, no update half done.</summary>
        private void FleetSafePoint()
        {
            if (fleet == null) return;
            if (fleet.SafePoint(hw.Clock.NowMs, counters.Labelled, counters.Correct, learner, Checkpoint)) RefreshEngineBytes();
        }

        /// <summary>The fleet link (null when the board has no fleet transport).</summary>
        public FleetLink Fleet { get { return fleet; } }

        /// <summary>Sets the learner's budgets (it re-selects) and takes the new selection's bytes.</summary>
        internal void SetBudget(int bytes, long macs)
        {
            learner.SetBudget(bytes, macs);
            lastReselections = learner.Reselections;
            RefreshEngineBytes();
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

        internal void TryUpdate(long now)
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
            lines.Update(now, lastLabel, macs, us, uj);
            if (learner.Reselections != lastReselections)
            {
                bool drift = learner.DriftSignals != lastDriftSignals;
                lastReselections = learner.Reselections;
                lastDriftSignals = learner.DriftSignals;
                RefreshEngineBytes();
                Selection(drift ? "drift" : "periodic");
            }
        }

        internal void Checkpoint() { Checkpoint(false); }

        internal void Checkpoint(bool afterReset)
        {
            long now = hw.Clock.NowMs;
            try
            {
                counters.Checkpoints++;
                if (fleet != null) fleet.BeforeCheckpoint(counters);
                // Since a reset the learned model's slot is kept; new learning may replace it.
                if (!afterReset && store.KeptSlot >= 0 && learner.Updates > 0) store.ReleaseKept();
                // The fleet base's rows go along (a base above 0), so a boot diffs against them again; BeforeCheckpoint set
                // the counters' base version to the member's.
                ParameterSet baseRows = fleet != null ? fleet.BaseRowsToKeep : null;
                uint baseVersion = (uint)counters.FleetBaseVersion;
                int leftOut = store.BaseRowsLeftOut;
                int slot = afterReset ? store.SaveReset(learner.Model, counters, baseRows, baseVersion) : store.Save(learner.Model, counters, baseRows, baseVersion);
                if (leftOut == 0 && store.BaseRowsLeftOut > 0)
                    Error(Protocol.FlashError, "a checkpoint slot holds " + hw.Flash.SlotCapacity + " bytes, too few for the fleet base's rows: checkpoints go without them, and after a boot updates carry every channel until a take");
                lastCheckpointMs = now;
                updatesAtLastCheckpoint = learner.Updates;
                if (fleet != null) fleet.CheckpointSaved();
                lines.Checkpoint(now, store.LastSequence, slot, store.LastBytes);
            }
            catch (Exception e)
            {
                counters.Checkpoints--;
                LastFailure = e.Message;
                lastCheckpointMs = now; // do not retry every sample
                Error(Protocol.FlashError, "checkpoint failed: " + e.Message);
            }
        }

        /// <summary>Writes the stat lines now (see <see cref="StatusLines"/>).</summary>
        public void Stat() { lines.Stat(); }
        internal void Hello() { lines.Hello(); }
        internal void Selection(string reason) { lines.Selection(reason); }

        internal void Error(string code, string message)
        {
            lines.Error(code, message);
        }

        internal void Error(string code, string message, long number)
        {
            lines.Error(code, message, number);
        }

        // ---- helpers ----------------------------------------------------------------------------

        private Model LoadDefaultModel()
        {
            byte[] bytes = config.DefaultModelBytes();
            return ModelFile.Load(bytes, bytes.Length, factory.TrainingCapacityInts, factory.WithMomentum, ModelFile.DefaultMaxBytes, factory.TrainingMode);
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
            if (fleet != null)
            {
                ContinualLearnerAdapter adapter = learner as ContinualLearnerAdapter;
                // The fleet's challenger: a prediction-only network of the same model (no training arena).
                Network predictor = null;
                if (config.Fleet.Challenger && adapter != null)
                {
                    byte[] bytes = config.DefaultModelBytes();
                    predictor = ModelFile.Load(bytes, bytes.Length, 0, false).Network;
                }
                fleet.Bind(model.Network, predictor, adapter != null ? adapter.Inner.History.Capacity : 0, counters, modelSource == "default", config,
                    modelSource == "flash" ? store : null);
            }
        }

        private void RefreshEngineBytes()
        {
            engineBytes = learner.Model.Network.TotalMemoryBytes(); // allocation-free (DescribeMemory builds a plan)
        }
    }
}
