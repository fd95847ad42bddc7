using System;
using System.Diagnostics;
using System.Linq;
using System.Globalization;
using System.IO;
using System.Threading;
using TinTin.Reference;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Sensors;

namespace TinTin.VirtualBoard
{
    /// <summary>What the virtual board runs and how the virtual person behaves.</summary>
    public sealed class VirtualBoardOptions
    {
        /// <summary>The recorded stream to replay (default: data/occupancy/datatest2.txt, the drift week).</summary>
        public string DataPath { get; set; }
        public ReplayColumns Columns { get; set; } = ReplayColumns.Occupancy();
        /// <summary>The default model (null: the one embedded in the firmware, DefaultModel.g.cs).</summary>
        public PreparedModel Model { get; set; }
        /// <summary>esp32-devkit, esp32c3-devkit or nucleo-f429zi.</summary>
        public string Board { get; set; } = "esp32-devkit";
        /// <summary>
        /// Fraction of samples the person labels, as measured: the person presses whenever the
        /// samples their presses cover fall behind this fraction of the samples seen (by a random
        /// margin of half to one press). 0.03 with 5-minute presses of one-minute samples is about
        /// 8 presses a day (it was a 5 % chance per sample: 516 presses, 74 a day, in the demo week).
        /// </summary>
        public double LabelFraction { get; set; } = 0.03;
        /// <summary>How late the press comes after the person decided (as a person would).</summary>
        public long LabelDelayMs { get; set; } = 2 * 60_000;
        /// <summary>Label over serial (`label c s`) instead of the button.</summary>
        public bool UseSerialLabels { get; set; }
        /// <summary>A press labels the last so many ms of samples.</summary>
        public long ButtonWindowMs { get; set; } = 5 * 60_000;
        /// <summary>Serial lines go here: null none, "-" or "stdout" standard output, else a path (a pty end, a file).</summary>
        public string SerialPath { get; set; }
        public bool PredLines { get; set; }
        /// <summary>Samples per second of wall time (0: as fast as possible).</summary>
        public double Speed { get; set; }
        /// <summary>Folder of the file-backed flash (default: a fresh temp folder).</summary>
        public string FlashFolder { get; set; }
        /// <summary>Boot from what the flash folder holds instead of erasing it first.</summary>
        public bool KeepFlash { get; set; }
        public int Seed { get; set; } = 1;
        public int ProgressEvery { get; set; } = 1000;
        /// <summary>Stop after so many rows (0: all).</summary>
        public int MaxSamples { get; set; }
        /// <summary>Training-state mode of the board's engine (null: the board profile's default).</summary>
        public TrainingStateMode? TrainingMode { get; set; }
        /// <summary>Adjusts the learner's configuration before the board starts.</summary>
        public Action<ContinualConfig> ConfigureLearner { get; set; }
        /// <summary>Keep every serial line in memory (tests).</summary>
        public bool CaptureSerial { get; set; }
        /// <summary>Lines the host sends before the first sample (e.g. "budget 4096").</summary>
        public string[] Commands { get; set; } = Array.Empty<string>();
        /// <summary>Stops the replay between samples (Ctrl-C in `tintin simulate`): Run throws OperationCanceledException.</summary>
        public System.Threading.CancellationToken Cancel { get; set; }
    }

    /// <summary>What a virtual board run measured.</summary>
    public sealed class VirtualBoardSummary
    {
        public string Board { get; init; }
        public string Data { get; init; }
        public string ModelSource { get; init; }
        public int Samples { get; set; }
        public int FrozenCorrect { get; set; }
        public int AdaptiveCorrect { get; set; }
        public int SecondHalfSamples { get; set; }
        public int FrozenCorrectSecondHalf { get; set; }
        /// <summary>Prequential confusion of the frozen model, the adapting firmware and the two baselines.</summary>
        public ClassMetrics FrozenMetrics { get; set; }
        public ClassMetrics AdaptiveMetrics { get; set; }
        /// <summary>Repeats the latest press the board has received (before the first: the frozen model's answer).</summary>
        public ClassMetrics LastLabelMetrics { get; set; }
        /// <summary>The class pressed most often so far (before the first press: the frozen model's answer).</summary>
        public ClassMetrics MajoritySoFarMetrics { get; set; }
        public double LabelFractionAsked { get; set; }
        /// <summary>Days of data time the run covered.</summary>
        public double Days { get; set; }
        public double MeasuredLabelFraction => Samples == 0 ? 0 : (double)LabelledSamples / Samples;
        public int AdaptiveCorrectSecondHalf { get; set; }
        public int Presses { get; set; }
        public long LabelledSamples { get; set; }
        public long BoardAccuracyPerMille { get; set; }
        public long Updates { get; set; }
        public long Checkpoints { get; set; }
        public long Faults { get; set; }
        public int EngineBytes { get; set; }
        /// <summary>The training-state mode the board's engine ran in (its name, TrainingStateModeNames.Name).</summary>
        public string TrainingMode { get; set; }
        public int LearnerBytes { get; set; }
        public int BackwardBytes { get; set; }
        public int BudgetBytes { get; set; }
        public int SelectedChannels { get; set; }
        public int TotalChannels { get; set; }
        /// <summary>What the full update (every channel) would need: backward bytes and MACs per update.</summary>
        public int FullBackwardBytes { get; set; }
        public long FullUpdateMacs { get; set; }
        public long SelectedUpdateMacs { get; set; }
        public long BudgetMacs { get; set; }
        public int HeapFreeBytes { get; set; }
        public long MacsPerPredict { get; set; }
        public long MacsUpdatesTotal { get; set; }
        public long EnergyUpdatesUj { get; set; }
        public long EnergyTotalUj { get; set; }
        public long PredictUs { get; set; }
        public long SerialLines { get; set; }
        public long WallMs { get; set; }
        /// <summary>Where the free-heap figure comes from ("emulated" on the host; measured on nanoCLR).</summary>
        public string HeapSource { get; set; } = "emulated";
        /// <summary>What ran the firmware: "host", "nanoclr" or "nanoclr32".</summary>
        public string Machine { get; set; } = "host";
        public System.Collections.Generic.IReadOnlyList<string> SerialCapture { get; set; }
        /// <summary>The virtual person's decision at each labelled prediction, '1' a press, '0' none (the nanoCLR replay follows it).</summary>
        public string PressDecisions { get; set; }

        public double FrozenAccuracy => Samples == 0 ? 0 : (double)FrozenCorrect / Samples;
        public double AdaptiveAccuracy => Samples == 0 ? 0 : (double)AdaptiveCorrect / Samples;
        public double FrozenAccuracySecondHalf => SecondHalfSamples == 0 ? 0 : (double)FrozenCorrectSecondHalf / SecondHalfSamples;
        public double AdaptiveAccuracySecondHalf => SecondHalfSamples == 0 ? 0 : (double)AdaptiveCorrectSecondHalf / SecondHalfSamples;
        public long MacsPerUpdate => Updates == 0 ? 0 : MacsUpdatesTotal / Updates;
        public long UjPerUpdate => Updates == 0 ? 0 : EnergyUpdatesUj / Updates;

        /// <summary>How much of the full update the selection uses — or that the full update fits the budget, so nothing is sparse.</summary>
        public string SelectionLine()
        {
            string budget = $"budget {BudgetBytes} B, {(BudgetMacs > 0 ? BudgetMacs + " MACs" : "no MAC limit")}";
            bool fits = BudgetBytes >= FullBackwardBytes && (BudgetMacs == 0 || BudgetMacs >= FullUpdateMacs);
            if (fits && SelectedChannels == TotalChannels)
                return $"selection: the full update ({FullBackwardBytes} B backward, {FullUpdateMacs} MACs/update) fits the {budget}: every channel trains, nothing is sparse";
            double bytes = FullBackwardBytes == 0 ? 0 : 100.0 * BackwardBytes / FullBackwardBytes;
            double macs = FullUpdateMacs == 0 ? 0 : 100.0 * SelectedUpdateMacs / FullUpdateMacs;
            return $"selection: sparse, {SelectedChannels}/{TotalChannels} channels, {bytes.ToString("F1", CultureInfo.InvariantCulture)} % of the full update's {FullBackwardBytes} B backward, "
                + $"{macs.ToString("F1", CultureInfo.InvariantCulture)} % of its {FullUpdateMacs} MACs/update ({budget})";
        }

        public string Format()
        {
            static string P(double v) => (v * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";
            var w = new StringWriter();
            w.WriteLine($"virtual board {Board}: {Data}, {Samples} predicted samples, default model from {ModelSource}");
            w.WriteLine($"  accuracy, frozen default model     {P(FrozenAccuracy)}   (second half {P(FrozenAccuracySecondHalf)})");
            w.WriteLine($"  accuracy, adapting firmware        {P(AdaptiveAccuracy)}   (second half {P(AdaptiveAccuracySecondHalf)})");
            w.WriteLine($"  labels: {Presses} presses, {LabelledSamples} samples labelled; board's own accuracy on them {BoardAccuracyPerMille / 10}.{BoardAccuracyPerMille % 10} %");
            if (AdaptiveMetrics != null)
            {
                w.WriteLine($"  label fraction {P(MeasuredLabelFraction)} of samples (asked {P(LabelFractionAsked)}), {(Days > 0 ? Presses / Days : Presses):F1} presses a day");
                w.WriteLine($"  balanced accuracy: frozen {P(FrozenMetrics.BalancedAccuracy)}, adapting {P(AdaptiveMetrics.BalancedAccuracy)}; the commonest class is {P(AdaptiveMetrics.MajorityRate)} of samples");
                w.WriteLine($"  baseline last-label (repeats the latest press)    {P(LastLabelMetrics.Accuracy)}   (balanced {P(LastLabelMetrics.BalancedAccuracy)})");
                w.WriteLine($"  baseline majority-so-far (commonest press)        {P(MajoritySoFarMetrics.Accuracy)}   (balanced {P(MajoritySoFarMetrics.BalancedAccuracy)})");
                w.WriteLine("  " + (AdaptiveAccuracy > LastLabelMetrics.Accuracy ? "the adapting firmware beats last-label" : "last-label beats the adapting firmware: repeating the latest press would serve better"));
                if (AdaptiveMetrics.PredictsOneClass) w.WriteLine("  adapting firmware: " + AdaptiveMetrics.Warning());
            }
            w.WriteLine($"  updates {Updates}, checkpoints {Checkpoints}, sensor faults {Faults}");
            w.WriteLine($"  memory: engine {EngineBytes} B{(TrainingMode != null ? " (" + TrainingMode + " mode)" : "")}, learner buffers {LearnerBytes} B, backward {BackwardBytes} B of budget {BudgetBytes} B ({SelectedChannels} channels), free heap ({HeapSource}) {HeapFreeBytes} B");
            w.WriteLine("  " + SelectionLine());
            w.WriteLine($"  work: {MacsPerPredict} MACs/predict, {MacsPerUpdate} MACs/update; estimated {PredictUs} µs/predict");
            w.WriteLine($"  energy (estimated): {UjPerUpdate} µJ/update, {EnergyUpdatesUj / 1000.0:F1} mJ in updates, {EnergyTotalUj / 1000.0:F1} mJ total compute");
            w.WriteLine($"  serial: {SerialLines} lines; wall time {WallMs} ms");
            return w.ToString();
        }
    }

    /// <summary>
    /// Runs the firmware (TinTin.Firmware.FirmwareApp, the same code as the board) on the host:
    /// replay source, virtual button pressed by a virtual person from the data's labels (late, for
    /// a fraction of samples), simulated clock, file-backed flash, serial lines on stdout or a
    /// pseudo-terminal. Alongside, the frozen default model predicts the same features, so the
    /// summary compares accuracy without and with on-device adaptation on the same stream.
    /// </summary>
    public static class VirtualBoardRunner
    {
        public static VirtualBoardSummary Run(VirtualBoardOptions options, TextWriter progress)
        {
            ArgumentNullException.ThrowIfNull(options);
            progress ??= TextWriter.Null;
            var wall = Stopwatch.StartNew();
            PreparedModel prepared = options.Model ?? EmbeddedModel();
            BoardProfile board = BoardByName(options.Board);
            string dataPath = options.DataPath ?? RepositoryPaths.Data("occupancy", "datatest2.txt");

            var clock = new SimulatedBoardClock();
            var replay = ReplaySource.Open(dataPath, options.Columns);
            if (replay.Table.GroupCount > 1 && options.Columns.Node == null)
                throw new ArgumentException($"{dataPath}: the group column '{replay.Table.Options.Group}' holds {replay.Table.GroupCount} sensor nodes ({string.Join(", ", replay.Table.GroupNames.Take(10))}); one board is one node: choose it with --node");
            var source = new ClockedSource(replay, clock);
            var button = new VirtualButton(clock);
            var led = new VirtualLed();
            string flashFolder = options.FlashFolder ?? Path.Combine(Path.GetTempPath(), "tintin-virtual-board-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
            var flash = new FileFlashStore(flashFolder);
            if (!options.KeepFlash) flash.Erase();

            Stream serialOut = null, serialIn = null;
            string serialPath = options.SerialPath;
            if (serialPath == "-" || serialPath == "stdout") serialOut = Console.OpenStandardOutput();
            else if (serialPath != null)
            {
                serialOut = new FileStream(serialPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                serialIn = new FileStream(serialPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            }
            using var serial = new VirtualSerialPort(serialOut, options.CaptureSerial);
            if (serialIn != null) serial.StartReading(serialIn);

            var learnerConfig = new ContinualConfig { Profile = board.Device, Seed = (uint)options.Seed };
            if (options.TrainingMode != null)
            {
                learnerConfig.Profile = board.Device.WithTrainingMode(options.TrainingMode.Value);
                board = new BoardProfile(board.Name, learnerConfig.Profile, board.UseMeasuredTime);
            }
            options.ConfigureLearner?.Invoke(learnerConfig);
            var factory = new ContinualLearnerFactory(learnerConfig, Network.ArenaFromBudget, false);
            FirmwareApp app = null;
            var hardware = new FirmwareHardware
            {
                Source = source, Button = button, Led = led, Flash = flash, Serial = serial, Clock = clock, Board = board,
                Heap = new EmulatedHeap(board.Device.HeapBytes, () => app?.Learner is ContinualLearnerAdapter a ? a.Inner.HeapUsedBytes()
                    : board.Device.ReservedBytes + (app == null ? 0 : app.EngineBytes)),
            };
            var config = new FirmwareConfig
            {
                DefaultModel = prepared.Bytes, ModelName = prepared.ModelName, FeatureIds = prepared.FeatureIds,
                WindowSamples = prepared.WindowSamples, PredLines = options.PredLines, ButtonWindowMs = options.ButtonWindowMs,
                StatEverySamples = 60,
            };
            app = new FirmwareApp(hardware, config, factory);
            app.Start();
            foreach (string command in options.Commands) serial.Send(command);

            Model frozen = ModelFile.Load(prepared.Bytes, prepared.Bytes.Length, 0, false);
            var random = new Random(options.Seed);
            int rows = replay.RowCount;
            int classes = frozen.Network.ClassCount;
            var frozenMetrics = new ClassMetrics(classes);
            var adaptiveMetrics = new ClassMetrics(classes);
            var lastLabelMetrics = new ClassMetrics(classes);
            var majorityMetrics = new ClassMetrics(classes);
            // The person: presses whenever the samples their presses cover fall behind the asked fraction.
            var recentTimes = new System.Collections.Generic.Queue<long>();
            var delivered = new System.Collections.Generic.Queue<(long At, int Label)>();
            var pressCounts = new long[classes];
            int lastPress = -1;
            double covered = 0, margin = -1;
            int planned = options.MaxSamples > 0 ? Math.Min(rows, options.MaxSamples) : rows; // a short run gets presses too
            long firstMs = -1;
            var summary = new VirtualBoardSummary
            {
                Board = board.Name, Data = Path.GetFileName(dataPath), ModelSource = app.ModelSource,
                TrainingMode = TrainingStateModeNames.Name(board.Device.TrainingMode), SerialCapture = serial.Lines,
            };
            long macsPerPredict = 0;
            var serialLabels = new System.Collections.Generic.Queue<(long At, string Line)>();
            var pressDecisions = new System.Text.StringBuilder();
            int serialLabelsSent = 0;
            while (options.MaxSamples <= 0 || source.Reads < options.MaxSamples)
            {
                options.Cancel.ThrowIfCancellationRequested();
                if (!app.Step()) break;
                if (!app.LastStepPredicted) continue;
                int truth = source.LastLabel;
                if (truth < 0) continue;
                frozen.Normalizer.Normalize(app.LastFeatures, frozen.Network.Input);
                long macs0 = frozen.Network.Counters.TotalMacs;
                int frozenPrediction = frozen.Network.Predict();
                macsPerPredict = frozen.Network.Counters.TotalMacs - macs0;
                long now = clock.NowMs;
                if (firstMs < 0) firstMs = now;
                while (delivered.Count > 0 && delivered.Peek().At < now)
                {
                    lastPress = delivered.Dequeue().Label;
                    pressCounts[lastPress]++;
                }
                int majoritySoFar = 0;
                for (int k = 1; k < classes; k++) if (pressCounts[k] > pressCounts[majoritySoFar]) majoritySoFar = k;
                if (truth < classes)
                {
                    frozenMetrics.Add(truth, frozenPrediction);
                    if (app.LastPrediction >= 0 && app.LastPrediction < classes) adaptiveMetrics.Add(truth, app.LastPrediction);
                    lastLabelMetrics.Add(truth, lastPress < 0 ? frozenPrediction : lastPress);
                    majorityMetrics.Add(truth, lastPress < 0 ? frozenPrediction : majoritySoFar);
                }
                bool secondHalf = source.Reads > rows / 2;
                summary.Samples++;
                if (frozenPrediction == truth) summary.FrozenCorrect++;
                if (app.LastPrediction == truth) summary.AdaptiveCorrect++;
                if (secondHalf)
                {
                    summary.SecondHalfSamples++;
                    if (frozenPrediction == truth) summary.FrozenCorrectSecondHalf++;
                    if (app.LastPrediction == truth) summary.AdaptiveCorrectSecondHalf++;
                }
                // The virtual person: notices the room's state and says so, a bit later, as often as asked.
                recentTimes.Enqueue(now);
                while (recentTimes.Peek() < now - options.ButtonWindowMs) recentTimes.Dequeue();
                int perPress = recentTimes.Count; // samples one press covers at the current rate
                if (margin < 0) margin = Math.Max(1, Math.Min(perPress, options.LabelFraction * planned)) * (0.5 + 0.5 * random.NextDouble());
                bool press = options.LabelFraction > 0 && options.LabelFraction * summary.Samples - covered >= margin;
                pressDecisions.Append(press ? '1' : '0');
                if (press)
                {
                    covered += perPress;
                    margin = Math.Max(1, Math.Min(perPress, options.LabelFraction * planned)) * (0.5 + 0.5 * random.NextDouble());
                    long at = clock.NowMs + options.LabelDelayMs;
                    delivered.Enqueue((at, truth));
                    if (options.UseSerialLabels)
                        serialLabels.Enqueue((at, "label " + truth + " " + Math.Max(1, options.ButtonWindowMs / 1000)));
                    else
                        button.PressAt(at, truth == 1 ? ButtonPress.Long : ButtonPress.Short);
                }
                while (serialLabels.Count > 0 && serialLabels.Peek().At <= clock.NowMs)
                {
                    serial.Send(serialLabels.Dequeue().Line);
                    serialLabelsSent++;
                }
                if (options.ProgressEvery > 0 && summary.Samples % options.ProgressEvery == 0)
                    progress.WriteLine($"  {source.Reads,6}/{rows} samples   frozen {summary.FrozenAccuracy * 100,5:F1} %   adapting {summary.AdaptiveAccuracy * 100,5:F1} %   updates {app.Counters.Updates}   labelled {app.Counters.Labelled}");
                if (options.Speed > 0) Thread.Sleep((int)Math.Max(0, 1000 / options.Speed));
            }
            app.Stat();
            serial.Flush();
            FirmwareCounters c = app.Counters;
            ContinualLearner inner = ((ContinualLearnerAdapter)app.Learner).Inner;
            summary.Presses = button.Presses + serialLabelsSent;
            summary.PressDecisions = pressDecisions.ToString();
            summary.FrozenMetrics = frozenMetrics;
            summary.AdaptiveMetrics = adaptiveMetrics;
            summary.LastLabelMetrics = lastLabelMetrics;
            summary.MajoritySoFarMetrics = majorityMetrics;
            summary.LabelFractionAsked = options.LabelFraction;
            summary.Days = firstMs < 0 ? 0 : (clock.NowMs - firstMs) / 86_400_000.0;
            summary.LabelledSamples = c.Labelled;
            summary.BoardAccuracyPerMille = c.AccuracyPerMille;
            summary.Updates = c.Updates;
            summary.Checkpoints = c.Checkpoints;
            summary.Faults = c.Faults;
            summary.EngineBytes = app.EngineBytes;
            summary.LearnerBytes = inner.LearnerBytes;
            summary.BackwardBytes = app.Model.Network.BackwardBytes();
            summary.BudgetBytes = inner.BudgetBytes;
            summary.SelectedChannels = inner.SelectedChannels;
            summary.TotalChannels = inner.Scorer.TotalChannels;
            summary.FullBackwardBytes = app.Model.Network.FullBackwardBytes();
            summary.FullUpdateMacs = app.Model.Network.FullUpdateMacs(inner.Config.BatchSize);
            summary.SelectedUpdateMacs = inner.Selector.SelectedUpdateMacs;
            summary.BudgetMacs = inner.BudgetMacs;
            summary.HeapFreeBytes = hardware.Heap.FreeBytes();
            summary.MacsPerPredict = macsPerPredict;
            summary.MacsUpdatesTotal = c.MacsUpdates;
            summary.EnergyUpdatesUj = c.EnergyUpdatesUj;
            summary.EnergyTotalUj = c.EnergyTotalUj;
            summary.PredictUs = app.LastPredictMicroseconds;
            summary.SerialLines = serial.LinesWritten;
            summary.WallMs = wall.ElapsedMilliseconds;
            if (options.FlashFolder == null) { try { Directory.Delete(flashFolder, true); } catch (IOException) { } }
            serialOut?.Dispose();
            serialIn?.Dispose();
            return summary;
        }

        /// <summary>esp32-devkit (default), esp32c3-devkit or nucleo-f429zi, with energy from the MAC model (no measured time on the host).</summary>
        public static BoardProfile BoardByName(string name)
        {
            switch ((name ?? "esp32-devkit").ToLowerInvariant())
            {
                case "esp32": case "esp32-devkit": return BoardProfile.Esp32DevKit(false);
                case "esp32c3": case "esp32-c3": case "esp32c3-devkit": return BoardProfile.Esp32C3DevKit(false);
                case "stm32": case "stm32f429": case "nucleo-f429zi": return BoardProfile.NucleoF429zi(false);
                default: throw new ArgumentException($"unknown board '{name}'; known: esp32-devkit, nucleo-f429zi");
            }
        }

        /// <summary>The default model compiled into the firmware (firmware/TinTin.Firmware/DefaultModel.g.cs).</summary>
        public static PreparedModel EmbeddedModel() => WithDefaultFeatures(DefaultModel.Bytes(), "firmware/TinTin.Firmware/DefaultModel.g.cs");

        /// <summary>
        /// Model bytes the firmware runs through its default feature pipeline (the embedded model, or a file
        /// prepared with `--board-features default`); source names where the bytes came from.
        /// </summary>
        public static PreparedModel WithDefaultFeatures(byte[] bytes, string source) => new PreparedModel
        {
            Bytes = bytes, FeatureIds = DefaultModel.FeatureIds(), WindowSamples = DefaultModel.WindowSamples,
            ModelName = DefaultModel.Name, Source = source,
        };
    }
}
