using System;
using TinTin.Core;

namespace TinTin.Firmware.Replay
{
    /// <summary>
    /// The virtual board's loop (tools/TinTin.VirtualBoard VirtualBoardRunner) for nanoFramework:
    /// FirmwareApp with the replayed sensor, the simulated clock, a RAM flash, the serial port on the
    /// console, and the virtual person pressing the button (or typing `label c s`) late, from the
    /// host's decisions. The frozen default model predicts beside it for the summary. Prints
    /// tagged lines (<see cref="ReplayLines"/>): every serial line, then "R key value" figures, then
    /// "E done"; an exception that escapes prints "X Type: message" instead.
    /// </summary>
    public static class ReplayRunner
    {
        /// <summary>
        /// Presses, serial labels and host lines the replay queues at once (each queue throws, naming it,
        /// when more are pending). A press comes LabelDelayMs after its sample: at one sample a minute and
        /// the default 2-minute delay about 3 are pending. Kept small: the queues are the replay's, not the
        /// firmware's, yet they take the board's heap on nanoclr32 (64 each took 2.4 KB).
        /// </summary>
        public const int PendingCapacity = 16;

        public static void Run(ReplayTape tape, ILineOutput output)
        {
            try
            {
                RunChecked(tape, output);
                output.Line(ReplayLines.End, "done");
            }
            catch (Exception e)
            {
                output.Line(ReplayLines.Failure, e.GetType().FullName + ": " + e.Message);
            }
        }

        private static void RunChecked(ReplayTape tape, ILineOutput output)
        {
            BoardProfile board = BoardByName(tape.BoardName);
            ReplayClock clock = new ReplayClock();
            ReplaySampleSource source = new ReplaySampleSource(tape, clock);
            ScheduledButton button = new ScheduledButton(clock, PendingCapacity);
            ReplaySerial serial = new ReplaySerial(output, PendingCapacity);
            TapeReader decisions = new TapeReader(tape.Decisions);

            FirmwareHardware hardware = new FirmwareHardware();
            hardware.Source = source;
            hardware.Button = button;
            hardware.Flash = new RamFlash(CheckpointStore.ImageSize(tape.Model.Bytes()));
            hardware.Serial = serial;
            hardware.Clock = clock;
            hardware.Board = board;
            hardware.Heap = tape.ProbeHeapUpTo > 0 ? (IHeapMonitor)new AllocationProbeHeap(tape.ProbeHeapUpTo) : null;

            ContinualConfig learning = new ContinualConfig();
            learning.Profile = board.Device;
            learning.Seed = tape.Seed;
            FirmwareConfig config = new FirmwareConfig();
            config.DefaultModelSource = tape.Model;
            config.ModelName = tape.ModelName;
            config.FeatureIds = tape.FeatureIds;
            config.WindowSamples = tape.WindowSamples;
            config.PredLines = tape.PredLines;
            config.ButtonWindowMs = tape.ButtonWindowMs;
            config.StatEverySamples = tape.StatEverySamples;
            FirmwareApp app = new FirmwareApp(hardware, config, new ContinualLearnerFactory(learning, Network.ArenaFromBudget, false));
            app.Start();
            for (int i = 0; i < tape.Commands.Length; i++) serial.Send(tape.Commands[i]);

            Model frozen = null;
            if (tape.CompareFrozen)
            {
                byte[] bytes = tape.Model.Bytes();
                frozen = ModelFile.Load(bytes, bytes.Length, 0, false);
            }
            long labelSeconds = tape.ButtonWindowMs / 1000;
            if (labelSeconds < 1) labelSeconds = 1;
            long[] serialAt = new long[PendingCapacity];       // [PendingCapacity] when each queued serial label is typed
            string[] serialLine = new string[PendingCapacity]; // [PendingCapacity] the queued label lines
            int serialHead = 0, serialCount = 0, serialSent = 0;

            int samples = 0, frozenCorrect = 0, adaptiveCorrect = 0;
            int secondHalf = 0, frozenSecond = 0, adaptiveSecond = 0;
            long macsPerPredict = 0;
            int classes = app.Model.Network.ClassCount;
            int[] confusion = new int[classes * classes]; // [truth · classes + predicted], the adapting firmware's
            while (tape.MaxSamples <= 0 || source.Reads < tape.MaxSamples)
            {
                if (!app.Step()) break;
                if (!app.LastStepPredicted) continue;
                int truth = source.LastLabel;
                if (truth < 0) continue;
                int frozenPrediction = -1;
                if (frozen != null)
                {
                    frozen.Normalizer.Normalize(app.LastFeatures, frozen.Network.Input);
                    long macs0 = frozen.Network.Counters.TotalMacs;
                    frozenPrediction = frozen.Network.Predict();
                    macsPerPredict = frozen.Network.Counters.TotalMacs - macs0;
                }
                bool inSecondHalf = source.Reads > tape.TotalRows / 2;
                samples++;
                if (frozenPrediction == truth) frozenCorrect++;
                if (app.LastPrediction == truth) adaptiveCorrect++;
                if (truth < classes && app.LastPrediction >= 0 && app.LastPrediction < classes) confusion[truth * classes + app.LastPrediction]++;
                if (inSecondHalf)
                {
                    secondHalf++;
                    if (frozenPrediction == truth) frozenSecond++;
                    if (app.LastPrediction == truth) adaptiveSecond++;
                }
                // The virtual person: the host drew these decisions from its seeded Random.
                if (decisions.NextDecision())
                {
                    long at = clock.NowMs + tape.LabelDelayMs;
                    if (tape.UseSerialLabels)
                    {
                        if (serialCount == serialAt.Length) throw new InvalidOperationException("more than " + serialAt.Length + " serial labels pending");
                        int slot = (serialHead + serialCount) % serialAt.Length;
                        serialAt[slot] = at;
                        serialLine[slot] = "label " + truth + " " + labelSeconds;
                        serialCount++;
                    }
                    else button.PressAt(at, truth == 1 ? ButtonPress.Long : ButtonPress.Short);
                }
                while (serialCount > 0 && serialAt[serialHead] <= clock.NowMs)
                {
                    serial.Send(serialLine[serialHead]);
                    serialLine[serialHead] = null;
                    serialHead = (serialHead + 1) % serialAt.Length;
                    serialCount--;
                    serialSent++;
                }
            }
            app.Stat();

            FirmwareCounters c = app.Counters;
            ContinualLearner inner = ((ContinualLearnerAdapter)app.Learner).Inner;
            Result(output, "board", board.Name);
            Result(output, "model_source", app.ModelSource);
            Result(output, "samples", samples);
            Result(output, "frozen_correct", frozen != null ? frozenCorrect : -1);
            Result(output, "adaptive_correct", adaptiveCorrect);
            Result(output, "second_half_samples", secondHalf);
            Result(output, "frozen_correct_second_half", frozen != null ? frozenSecond : -1);
            Result(output, "adaptive_correct_second_half", adaptiveSecond);
            Result(output, "presses", button.Presses + serialSent);
            Result(output, "labelled", c.Labelled);
            Result(output, "board_accuracy_pm", c.AccuracyPerMille);
            Result(output, "updates", c.Updates);
            Result(output, "checkpoints", c.Checkpoints);
            Result(output, "faults", c.Faults);
            Result(output, "engine_bytes", app.EngineBytes);
            Result(output, "learner_bytes", inner.LearnerBytes);
            Result(output, "backward_bytes", app.Model.Network.BackwardBytes());
            Result(output, "budget_bytes", inner.BudgetBytes);
            Result(output, "selected_channels", inner.SelectedChannels);
            Result(output, "total_channels", inner.Scorer.TotalChannels);
            Result(output, "full_backward_bytes", app.Model.Network.FullBackwardBytes());
            Result(output, "full_update_macs", app.Model.Network.FullUpdateMacs(inner.Config.BatchSize));
            Result(output, "selected_update_macs", inner.Selector.SelectedUpdateMacs);
            Result(output, "budget_macs", inner.BudgetMacs);
            Result(output, "heap_free", hardware.Heap != null ? hardware.Heap.FreeBytes() : -1);
            Result(output, "macs_per_predict", macsPerPredict);
            Result(output, "macs_updates", c.MacsUpdates);
            Result(output, "macs_total", c.MacsTotal);
            Result(output, "energy_updates_uj", c.EnergyUpdatesUj);
            Result(output, "energy_total_uj", c.EnergyTotalUj);
            Result(output, "predict_us", app.LastPredictMicroseconds);
            Result(output, "predictions", c.Samples);
            Result(output, "reads", source.Reads);
            Result(output, "serial_lines", serial.LinesWritten);
            string cells = "";
            for (int i = 0; i < confusion.Length; i++) cells = i == 0 ? confusion[i].ToString() : cells + "," + confusion[i].ToString();
            Result(output, "adaptive_confusion", cells);
        }

        private static void Result(ILineOutput output, string key, long value) { output.Line(ReplayLines.Result, key + " " + value.ToString()); }
        private static void Result(ILineOutput output, string key, string value) { output.Line(ReplayLines.Result, key + " " + value); }

        /// <summary>Length of the tape's model file (= ModelFile.SizeOf the model; the array is dropped at once).</summary>

        /// <summary>esp32-devkit, esp32c3-devkit or nucleo-f429zi, time and energy from the MAC model (as the virtual board).</summary>
        public static BoardProfile BoardByName(string name)
        {
            if (name == "esp32-devkit") return BoardProfile.Esp32DevKit(false);
            if (name == "esp32c3-devkit") return BoardProfile.Esp32C3DevKit(false);
            if (name == "nucleo-f429zi") return BoardProfile.NucleoF429zi(false);
            throw new ArgumentException("unknown board '" + name + "'; known: esp32-devkit, esp32c3-devkit, nucleo-f429zi");
        }
    }
}
