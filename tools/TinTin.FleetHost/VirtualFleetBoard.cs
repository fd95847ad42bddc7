using System;
using System.IO;
using TinTin.Core;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.Reference;
using TinTin.Sensors;
using TinTin.VirtualBoard;

namespace TinTin.FleetHost
{
    /// <summary>One virtual board of a fleet: its stream (a recording, or a stretch of one) and its person's label rate.</summary>
    public sealed class BoardSpec
    {
        public string Name { get; init; }
        public string DataPath { get; init; }
        /// <summary>First row of the stretch.</summary>
        public int Start { get; init; }
        /// <summary>Rows in the stretch (0: to the end).</summary>
        public int Count { get; init; }
        /// <summary>Chance per sample that the person labels (as `tintin simulate --label-fraction`).</summary>
        public double LabelFraction { get; init; }
        public int Seed { get; init; } = 1;
        /// <summary>After the last row go on from the first (time keeps increasing): a whole recording seen from another starting point.</summary>
        public bool Wrap { get; init; }
        /// <summary>The board's training-state mode (an int8-only board cannot join a fleet).</summary>
        public TrainingStateMode TrainingMode { get; init; } = TrainingStateMode.GradientArena;

        public string StreamText => Wrap
            ? $"{Path.GetFileName(DataPath)} from row {Start}, wrapping round, {Count} rows"
            : $"{Path.GetFileName(DataPath)} rows {Start}..{(Count > 0 ? (Start + Count).ToString() : "end")}";

        public override string ToString() => $"{Name}: {StreamText}, label fraction {LabelFraction:0.####}";
    }

    public readonly record struct TracedSample(long TimeMs, int Truth, int Prediction);
    public readonly record struct TracedPress(long AtMs, int Label);

    /// <summary>
    /// A host-side estimate of a design the board does not run: a shadow own-only learner beside the
    /// fleet's (twice the training), both learning all the time, the board answering with the fleet
    /// lineage while it leads on the board's own labels. Both lineages are exactly the two runs the
    /// virtual fleet makes anyway (alone and with the fleet, same stream, same presses), so the
    /// estimate replays their predictions: a press at time P labels the samples of the last window
    /// (P − windowMs .. P) not labelled yet; each labelled sample scores the two predictions made at
    /// the time (lead +1 when only the fleet lineage was right, −1 when only the own; within [−cap, cap]);
    /// a sample is answered by the fleet lineage while lead ≥ threshold.
    /// </summary>
    public static class ShadowEstimate
    {
        /// <summary>Correct answers over the trace.</summary>
        public static long Correct(System.Collections.Generic.IReadOnlyList<TracedSample> own, System.Collections.Generic.IReadOnlyList<TracedSample> fleet,
            System.Collections.Generic.IReadOnlyList<TracedPress> presses, long windowMs, int threshold, int cap)
        {
            if (own.Count != fleet.Count) throw new ArgumentException("the two runs predicted different samples");
            var labelled = new bool[own.Count];
            var sorted = new System.Collections.Generic.List<TracedPress>(presses);
            sorted.Sort((a, b) => a.AtMs.CompareTo(b.AtMs));
            int next = 0, lead = 0;
            long correct = 0;
            for (int i = 0; i < own.Count; i++)
            {
                if (own[i].TimeMs != fleet[i].TimeMs) throw new ArgumentException("the two runs predicted different samples");
                for (; next < sorted.Count && sorted[next].AtMs <= own[i].TimeMs; next++)
                {
                    TracedPress p = sorted[next];
                    for (int j = i - 1; j >= 0 && own[j].TimeMs >= p.AtMs - windowMs; j--)
                    {
                        if (labelled[j]) continue;
                        labelled[j] = true;
                        bool ownRight = own[j].Prediction == p.Label, fleetRight = fleet[j].Prediction == p.Label;
                        if (fleetRight && !ownRight) lead = Math.Min(cap, lead + 1);
                        else if (ownRight && !fleetRight) lead = Math.Max(-cap, lead - 1);
                    }
                }
                int answer = lead >= threshold ? fleet[i].Prediction : own[i].Prediction;
                if (answer == own[i].Truth) correct++;
            }
            return correct;
        }
    }

    /// <summary>Reads rows [start, start+count) of a replay source as if they were the whole recording.</summary>
    public sealed class StretchSource : ISampleSource
    {
        private readonly ISampleSource inner;
        private readonly int start, count;
        private int skipped, read;

        public StretchSource(ISampleSource inner, int start, int count) { this.inner = inner; this.start = start; this.count = count; }
        public string Name => inner.Name;
        public bool HasPressure => inner.HasPressure;

        public int Read(EnvironmentSample sample)
        {
            while (skipped < start)
            {
                if (inner.Read(sample) == SampleStatus.EndOfData) return SampleStatus.EndOfData;
                skipped++;
            }
            if (count > 0 && read >= count) return SampleStatus.EndOfData;
            read++;
            return inner.Read(sample);
        }
    }

    /// <summary>
    /// The firmware (FirmwareApp, the board's code) on virtual hardware, one sample per Step, with
    /// a virtual person labelling late with the button, and optionally the fleet: the firmware's own
    /// FleetLink on a fleet transport (publish policy, safe-point take, trial and rollback). Measures prequential accuracy on every
    /// sample whose truth is known (predicted before any label), balanced accuracy beside it, and
    /// the frozen default model on the same features.
    /// </summary>
    public sealed class VirtualFleetBoard : IDisposable
    {
        private readonly BoardSpec spec;
        private FirmwareApp app;
        private readonly FirmwareHardware hardware;
        private readonly FirmwareConfig config;
        private readonly ContinualLearnerFactory factory;
        private readonly ClockedSource source;
        private readonly VirtualButton button;
        private readonly SimulatedBoardClock clock;
        private readonly VirtualSerialPort serial;
        private readonly string flashFolder;
        private readonly Model frozen;
        private readonly Random person;

        public readonly long[] TruthCounts = new long[2];
        public readonly long[] CorrectCounts = new long[2];
        public readonly long[] FrozenCorrectCounts = new long[2];
        /// <summary>Challenger mode, over every sample with known truth both models predicted: only the challenger (only the board's own model) right.</summary>
        public long ChallengerOnlyRightAll, OwnOnlyRightAll;
        /// <summary>When set: every predicted sample with known truth (time, truth, the board's answer), and every press (time, class), for <see cref="ShadowEstimate"/>.</summary>
        public System.Collections.Generic.List<TracedSample> Trace;
        public System.Collections.Generic.List<TracedPress> Presses;
        /// <summary>
        /// Input statistics for the similarity-weighted merge experiment (docs/experiments/fleet.md): per feature of the normalised
        /// int8 input, the mean over about the last 128 samples (exponential, × 256) and the sum over every sample so far.
        /// </summary>
        public int[] RecentMean256;
        public long[] InputSum;
        public long InputSamples;
        /// <summary>The same statistics as of the board's last published update (what an update carrying them would tell the aggregator).</summary>
        public int[] PublishedRecentMean256;
        public long[] PublishedInputSum;
        public long PublishedInputSamples;

        /// <summary>Snapshot the input statistics every so many samples (a board sending its means on their own, label or not); 0: never.</summary>
        public int SnapshotEvery;

        /// <summary>Copies the input statistics as they are now into the Published* fields (the hub calls it when the board publishes).</summary>
        public void SnapshotInputs()
        {
            if (InputSum == null) return;
            PublishedInputSum = (long[])InputSum.Clone();
            PublishedRecentMean256 = (int[])RecentMean256.Clone();
            PublishedInputSamples = InputSamples;
        }
        public bool Ended { get; private set; }
        /// <summary>The firmware's fleet member (null without a fleet transport).</summary>
        public FleetMember Member => app.Fleet?.Member;
        /// <summary>The fleet's challenger beside the board's own model (null in take mode or without a fleet).</summary>
        public FleetAdvisor Advisor => app.Fleet?.Advisor;

        public VirtualFleetBoard(BoardSpec spec, PreparedModel model, string board = "esp32-devkit", Action<FirmwareHardware, FirmwareConfig> customize = null, bool captureSerial = false)
        {
            this.spec = spec;
            BoardProfile profile = VirtualBoardRunner.BoardByName(board);
            clock = new SimulatedBoardClock();
            var replay = ReplaySource.Open(spec.DataPath, ReplayColumns.Occupancy());
            replay.Loop = spec.Wrap;
            source = new ClockedSource(new StretchSource(replay, spec.Start, spec.Count), clock);
            button = new VirtualButton(clock);
            flashFolder = Path.Combine(Path.GetTempPath(), "tintin-fleet-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8]);
            var flash = new FileFlashStore(flashFolder);
            flash.Erase();
            serial = new VirtualSerialPort(null, captureSerial);
            var learnerConfig = new ContinualConfig { Profile = profile.Device.WithTrainingMode(spec.TrainingMode), Seed = (uint)spec.Seed };
            hardware = new FirmwareHardware
            {
                Source = source, Button = button, Led = new VirtualLed(), Flash = flash, Serial = serial, Clock = clock, Board = profile,
                Heap = new EmulatedHeap(profile.Device.HeapBytes, () => profile.Device.ReservedBytes),
            };
            config = new FirmwareConfig
            {
                DefaultModel = model.Bytes, ModelName = model.ModelName, FeatureIds = model.FeatureIds,
                WindowSamples = model.WindowSamples, PredLines = false, StatEverySamples = 0,
            };
            customize?.Invoke(hardware, config);
            factory = new ContinualLearnerFactory(learnerConfig, Network.ArenaFromBudget, false);
            app = new FirmwareApp(hardware, config, factory);
            app.Start();
            frozen = ModelFile.Load(model.Bytes, model.Bytes.Length, 0, false);
            person = new Random(spec.Seed);
        }

        /// <summary>
        /// A power cut and a boot: a new FirmwareApp on the same flash, clock, sensor stream, serial and fleet transport
        /// (everything in RAM is lost; the board comes back from its newest checkpoint, and joins the fleet again on `fleet join`
        /// unless it joins at start).
        /// </summary>
        public void Reboot()
        {
            app = new FirmwareApp(hardware, config, factory);
            app.Start();
        }

        /// <summary>The board's flash (its checkpoint slots), which a <see cref="Reboot"/> keeps.</summary>
        public IFlashStore Flash => hardware.Flash;

        public string Name => spec.Name;
        public FirmwareApp App => app;
        /// <summary>The serial lines the firmware wrote (with captureSerial).</summary>
        public System.Collections.Generic.IReadOnlyList<string> SerialLines => serial.Lines;
        public BoardSpec Spec => spec;
        public Network Network => app.Model.Network;
        public FirmwareCounters Counters => app.Counters;

        /// <summary>
        /// One sample: the firmware's step (its loop takes, judges and rolls back merged models and
        /// publishes updates itself, at its safe point), then the virtual person. False at the end of the data.
        /// </summary>
        public bool Step()
        {
            if (Ended) return false;
            if (!app.Step()) { Ended = true; return false; }
            if (!app.LastStepPredicted) return true;
            int truth = source.LastLabel;
            if (truth < 0 || truth > 1) return true;
            frozen.Normalizer.Normalize(app.LastFeatures, frozen.Network.Input);
            sbyte[] x = frozen.Network.Input.Data;
            if (InputSum == null) { InputSum = new long[x.Length]; RecentMean256 = new int[x.Length]; }
            for (int i = 0; i < x.Length; i++)
            {
                InputSum[i] += x[i];
                RecentMean256[i] = InputSamples == 0 ? x[i] << 8 : RecentMean256[i] + (((x[i] << 8) - RecentMean256[i]) >> 7);
            }
            InputSamples++;
            if (SnapshotEvery > 0 && InputSamples % SnapshotEvery == 0) SnapshotInputs();
            int frozenPrediction = frozen.Network.Predict();
            TruthCounts[truth]++;
            if (app.LastPrediction == truth) CorrectCounts[truth]++;
            if (frozenPrediction == truth) FrozenCorrectCounts[truth]++;
            FleetAdvisor advisor = Advisor;
            if (advisor != null && advisor.LastChallengerPrediction >= 0)
            {
                // The measurement (truth the board never sees): where the two models disagree, which was right.
                bool challengerRight = advisor.LastChallengerPrediction == truth, ownRight = advisor.LastOwnPrediction == truth;
                if (challengerRight && !ownRight) ChallengerOnlyRightAll++;
                else if (ownRight && !challengerRight) OwnOnlyRightAll++;
            }
            Trace?.Add(new TracedSample(clock.NowMs, truth, app.LastPrediction));
            if (person.NextDouble() < spec.LabelFraction)
            {
                button.PressAt(clock.NowMs + 2 * 60_000, truth == 1 ? ButtonPress.Long : ButtonPress.Short);
                Presses?.Add(new TracedPress(clock.NowMs + 2 * 60_000, truth));
            }
            return true;
        }

        public long Samples => TruthCounts[0] + TruthCounts[1];
        public double Accuracy => Ratio(CorrectCounts[0] + CorrectCounts[1], Samples);
        public double BalancedAccuracy => Balanced(CorrectCounts);
        public double FrozenAccuracy => Ratio(FrozenCorrectCounts[0] + FrozenCorrectCounts[1], Samples);
        public double FrozenBalancedAccuracy => Balanced(FrozenCorrectCounts);
        public double MajorityAccuracy => Ratio(Math.Max(TruthCounts[0], TruthCounts[1]), Samples);

        private double Balanced(long[] correct)
        {
            double sum = 0; int classes = 0;
            for (int c = 0; c < 2; c++) if (TruthCounts[c] > 0) { sum += (double)correct[c] / TruthCounts[c]; classes++; }
            return classes == 0 ? 0 : sum / classes;
        }

        private static double Ratio(long a, long b) => b == 0 ? 0 : (double)a / b;

        public void Dispose()
        {
            serial.Dispose();
            try { Directory.Delete(flashFolder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
