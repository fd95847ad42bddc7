using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TinTin.Core;
using TinTin.Reference;

namespace TinTin.Experiments
{
    /// <summary>
    /// Settings of the prequential experiment. Data: either TrainPath + StreamPath (two files of the
    /// same shape), or DataPath with SplitRow (rows before it pre-train, the rest stream; a value
    /// in (0, 1) is a fraction). Rows must be in time order.
    /// </summary>
    public sealed class ExperimentOptions
    {
        public string TrainPath { get; set; }
        public string StreamPath { get; set; }
        public string DataPath { get; set; }
        public double SplitRow { get; set; }
        /// <summary>Timestamp column (null or "none": rows are one minute apart).</summary>
        public string TimeColumn { get; set; } = "date";
        /// <summary>Default: what a BME280 measures and the data has (no pressure in the occupancy files).</summary>
        public string[] FeatureColumns { get; set; } = { "Temperature", "Humidity" };
        /// <summary>
        /// The firmware's own features instead of FeatureColumns: TinTin.Sensors.FeatureSet names, or "default"
        /// (the embedded model's six); computed from the temperature/humidity(/pressure) columns by the same
        /// pipeline `prepare --board-features` and `simulate` run (per --group node). null: FeatureColumns.
        /// </summary>
        public string[] BoardFeatures { get; set; }
        /// <summary>--board-features: the pipeline's window in samples, and the columns it reads (°C, %, Pa).</summary>
        public int Window { get; set; } = 8;
        public string TemperatureColumn { get; set; } = "Temperature";
        public string HumidityColumn { get; set; } = "Humidity";
        public string PressureColumn { get; set; }
        /// <summary>True when --features was given (it and --board-features exclude each other).</summary>
        internal bool FeaturesGiven { get; set; }

        /// <summary>The FeatureSet ids of BoardFeatures (null without them).</summary>
        public int[] BoardFeatureIds()
        {
            if (BoardFeatures == null) return null;
            try
            {
                return BoardFeatures.Length == 1 && BoardFeatures[0] == "default"
                    ? TinTin.VirtualBoard.PrepareOptions.DefaultFeatureIds() : BoardFeatures.Select(TinTin.Sensors.FeatureSet.Parse).ToArray();
            }
            catch (ArgumentException e) { throw new ArgumentException("--board-features: " + e.Message); }
        }

        /// <summary>The columns the board-feature pipeline reads.</summary>
        public TinTin.Sensors.ReplayColumns BoardColumns() => new TinTin.Sensors.ReplayColumns
        {
            Time = TimeColumn, Temperature = TemperatureColumn, Humidity = HumidityColumn, Pressure = PressureColumn,
            Label = LabelColumn, LabelMap = LabelMap, Csv = CsvOptions(),
        };
        public string LabelColumn { get; set; } = "Occupancy";
        /// <summary>Raw label → class ("0=0,1=1,2=1"); null: the values are the classes.</summary>
        public Dictionary<string, int> LabelMap { get; set; }
        /// <summary>Fixed class count (0: from the training rows).</summary>
        public int Classes { get; set; }
        /// <summary>Reading options beyond the time column (header, time format, group, missing cells).</summary>
        public bool NoHeader { get; set; }
        public string TimeFormat { get; set; } = "iso";
        public string Group { get; set; }
        public string Missing { get; set; } = "error";

        public CsvOptions CsvOptions()
            => TinTin.Reference.CsvOptions.FromFlags(TimeColumn, NoHeader, TimeFormat, Group, Missing);

        public LabelSpec Labels() => new LabelSpec { Column = LabelColumn, Map = LabelMap, Classes = Classes };
        public int[] HiddenSizes { get; set; } = { 16, 16 };
        public int Seed { get; set; } = 1;
        /// <summary>
        /// A pre-trained model file (TinTin.Core.ModelFile, as `tintin prepare` writes) used for every seed instead of
        /// pre-training one per seed: the study then varies only the button presses and the learner. Its inputs must be
        /// the features chosen (e.g. --board-features default for a prepared board model); --hidden and --epochs are ignored.
        /// </summary>
        public string ModelPath { get; set; }

        // pre-training (integer engine)
        public int PretrainEpochs { get; set; } = 8;
        public int PretrainBatch { get; set; } = 16;
        public int PretrainLrNumerator { get; set; } = 1;
        public int PretrainLrDenominator { get; set; } = 8;

        // the user giving labels
        /// <summary>Target fraction of stream samples that get a label.</summary>
        public double LabelFraction { get; set; } = 0.05; // about 9 presses a day on the occupancy week

        /// <summary>Samples one button press labels (the trailing run of one true class, at most this many).</summary>
        public int LabelSpan { get; set; } = 10;
        /// <summary>Inputs per feature: its value now and at the Lags − 1 previous rows of the same node (1: the value alone). 4 features × 32 lags = 128 inputs.</summary>
        public int Lags { get; set; } = 1;
        /// <summary>
        /// --conv KERNEL,CHANNELS: a Conv1D over the lag window (time-major [Lags][features], as Conv1DLayer reads it) with
        /// CHANNELS filters of KERNEL samples, then ReLU, then the --hidden dense layers; 0: an MLP.
        /// </summary>
        public int ConvKernel { get; set; }
        public int ConvChannels { get; set; }
        /// <summary>--pool max: a global max over the conv's positions before the dense layers (else they see every position).</summary>
        public bool ConvMaxPool { get; set; }
        /// <summary>True when --conv was given (so --conv 4,0 is an error, not an MLP).</summary>
        internal bool ConvGiven { get; set; }
        public bool HasConv => ConvGiven || ConvKernel != 0 || ConvChannels != 0;
        /// <summary>
        /// --history-windows: the learner's history keeps each sample's whole --lags window, as before session 8, instead of
        /// one feature row a sample (ContinualConfig.WindowRows; the same training, more bytes). For comparisons.
        /// </summary>
        public bool HistoryWindows { get; set; }
        /// <summary>The learner's ContinualConfig.WindowRows: --lags when the input is a window of rows kept as rows, else 1.</summary>
        public int HistoryWindowRows => Lags > 1 && !LabelInputs && !HistoryWindows ? Lags : 1;
        /// <summary>Give the network what a board knows as inputs: the latest press (one-hot) and its age.</summary>
        public bool LabelInputs { get; set; }
        /// <summary>Samples between the end of the span and the button press.</summary>
        public int LabelDelay { get; set; } = 2;

        // the continual learner
        public int BatchSize { get; set; } = 8;
        /// <summary>Learning rate for the batch-summed gradient, as a ratio.</summary>
        public int LrNumerator { get; set; } = 1;
        public int LrDenominator { get; set; } = 64;
        /// <summary>ContinualConfig.ScaleRateByFanIn: layers with more than 16 inputs per channel step at the rate · 2^−ceil(log2(fanIn/16)).</summary>
        public bool ScaleRateByFanIn { get; set; } = true;
        public int MaxUpdatesPerMinute { get; set; } = 6;
        public int ReplayCapacity { get; set; } = 64;
        /// <summary>ContinualConfig.ReplayRecency (0: classic reservoir).</summary>
        public int ReplayRecency { get; set; } = new ContinualConfig().ReplayRecency;
        public int HistorySamples { get; set; } = 128;
        public int ReselectEveryUpdates { get; set; } = 50;
        /// <summary>ContinualConfig.ScoreRecentOnly: score the history's labelled samples only ("recent"), or fill with replay ("mixed").</summary>
        public bool ScoreRecentOnly { get; set; } = new ContinualConfig().ScoreRecentOnly;
        /// <summary>ContinualConfig.NormaliseLayerScore: layers by potential / (params, MACs) ("normalised") or by potential alone ("potential").</summary>
        public bool NormaliseLayerScore { get; set; } = new ContinualConfig().NormaliseLayerScore;
        /// <summary>ContinualConfig.PricedFill: scored channels added by value per price ("priced") or layer by layer in layer-score order ("layers").</summary>
        public bool PricedFill { get; set; } = new ContinualConfig().PricedFill;
        /// <summary>ContinualConfig.LayersTopDown: the layer fill takes the layers top layer first ("topfirst"), channels by score.</summary>
        public bool LayersTopDown { get; set; } = new ContinualConfig().LayersTopDown;
        /// <summary>ContinualConfig.WholeLayerFill ("--fill whole"): the best of the top-first fill and fills with a lower layer right after the top one, by total value.</summary>
        public bool WholeLayerFill { get; set; } = new ContinualConfig().WholeLayerFill;
        /// <summary>ContinualConfig.LookAheadFill ("--fill lookahead"): the whole-layer fill's orders judged by the loss change of one trial step each.</summary>
        public bool LookAheadFill { get; set; } = new ContinualConfig().LookAheadFill;
        /// <summary>ContinualConfig.LayerScoreOrderBelowLabels ("--layers-below-labels N"): the layer-score order until N samples are labelled (0: off).</summary>
        public int LayerScoreOrderBelowLabels { get; set; } = new ContinualConfig().LayerScoreOrderBelowLabels;
        /// <summary>ContinualConfig.ScoreFromUpdates ("--scores update": fresh scores from each update's own backward) and FreshReselectEveryUpdates.</summary>
        public bool ScoreFromUpdates { get; set; } = new ContinualConfig().ScoreFromUpdates;
        public int FreshReselectEveryUpdates { get; set; } = new ContinualConfig().FreshReselectEveryUpdates;
        /// <summary>ContinualConfig.DriftLambdaQ8 (Page–Hinkley threshold on the error indicator, Q8) and ReselectOnDrift.</summary>
        public int DriftLambdaQ8 { get; set; } = new ContinualConfig().DriftLambdaQ8;
        public bool ReselectOnDrift { get; set; } = new ContinualConfig().ReselectOnDrift;
        public string Profile { get; set; } = "esp32";

        /// <summary>Policies to compare (names as UpdatePolicyNames.Name prints them).</summary>
        public string[] Policies { get; set; } = { "none", "last-layer", "bias-only", "full" };
        /// <summary>
        /// Budgets of the sparse runs: "last-layer", "bias-only", "full" (the bytes and MACs per update
        /// that baseline used), "half-full" (half of full's), "profile" (the device profile's default),
        /// or "BYTES:MACS" (0 = unlimited).
        /// </summary>
        public string[] SparseBudgets { get; set; } = { "last-layer", "bias-only", "half-full", "full" };

        // ---- the selection study (runs instead of the policy table when Selections is set) ----
        /// <summary>Selection criteria to compare at equal budgets (SelectionCriterionNames); null: no study.</summary>
        public string[] Selections { get; set; }
        /// <summary>The criterion every other one is compared with (paired, per seed).</summary>
        public string Reference { get; set; } = SelectionCriterionNames.Name(new ContinualConfig().Criterion);
        /// <summary>Seeds FirstSeed..FirstSeed+Seeds−1 (pre-training, button presses, learner): one paired sample each.</summary>
        public int Seeds { get; set; } = 5;
        /// <summary>The first seed of the study (e.g. 11 with --seeds 10: a held-out check of settings chosen on 1..10).</summary>
        public int FirstSeed { get; set; } = 1;
        /// <summary>Budgets as % of the full update's backward bytes and training MACs ("profile": the board profile's default).</summary>
        public string[] Fractions { get; set; } = { "12.5", "25", "50", "100" };
        /// <summary>Write the run as one JSON object here ("-": standard output, the table then goes to standard error); null: no JSON.
        /// The policy table: metrics of the best learner, policies and baselines; the selection study: per-seed accuracies, paired differences.</summary>
        public string JsonPath { get; set; }
        public const string StandardOutput = "-";
        public bool JsonToStandardOutput => JsonPath == StandardOutput;
        /// <summary>Chart of accuracy against budget, written by `tintin experiment` as FILE.svg and FILE.png (the library only carries it).</summary>
        public string ChartPath { get; set; }
        /// <summary>Time an update may take on the board (ms) for the "profile" MAC budget: 5 % of the 10 s between updates at the default rate cap (6/min).</summary>
        public int UpdateAllowanceMs { get; set; } = 500;

        public static readonly string[] AllSelections = { "gradmag", "fisher", "topdown", "random", "first-layer", "last-layer" };

        /// <summary>A copy with another seed.</summary>
        public ExperimentOptions WithSeed(int seed)
        {
            var copy = (ExperimentOptions)MemberwiseClone();
            copy.Seed = seed;
            return copy;
        }

        /// <summary>
        /// A burst of wrong labels: between these fractions of the stream every button press gives
        /// the wrong class, and the user presses LabelSpan times as often (0, 0: no burst). The run
        /// then reports recovery: accuracy before, right after and at the end, beside a clean run.
        /// </summary>
        public double NoiseBurstStart { get; set; }
        public double NoiseBurstEnd { get; set; }
        public bool HasNoiseBurst => NoiseBurstEnd > NoiseBurstStart;

        /// <summary>Time segments for accuracy over time.</summary>
        public int Chunks { get; set; } = 8;
        /// <summary>Stop the stream after so many rows (0 = all).</summary>
        public int MaxStreamRows { get; set; }
        /// <summary>Write the summary here (and the accuracy over time next to it, "-over-time.csv"); null: no CSV.</summary>
        public string CsvPath { get; set; }

        public ShiftSum LearningRate() => ShiftSum.FromRatio(LrNumerator, LrDenominator, 3);

        public void Validate()
        {
            bool twoFiles = TrainPath != null || StreamPath != null;
            if (twoFiles && DataPath != null) throw new ArgumentException("give either --train and --stream, or --data with --split, not both");
            if (twoFiles && (TrainPath == null || StreamPath == null)) throw new ArgumentException("--train and --stream go together");
            if (!twoFiles && DataPath == null) throw new ArgumentException("no data: give --train FILE --stream FILE, or --data FILE --split ROW");
            if (DataPath != null && SplitRow <= 0) throw new ArgumentException("--data needs --split (a row number, or a fraction in (0, 1))");
            if (FeatureColumns == null || FeatureColumns.Length == 0) throw new ArgumentException("name at least one feature column");
            if (BoardFeatures != null)
            {
                if (FeaturesGiven) throw new ArgumentException("give either --features COLUMNS or --board-features NAMES, not both");
                if (BoardFeatures.Length == 0) throw new ArgumentException("--board-features: name at least one feature, or 'default'");
                BoardFeatureIds();
                if (Window < 1 || Window > 1024) throw new ArgumentException("--window must be in 1..1024");
            }
            CsvOptions().Validate();
            if (Classes < 0) throw new ArgumentException("--classes must not be negative");
            if (LabelFraction < 0 || LabelFraction > 1) throw new ArgumentException("--label-fraction must be in [0, 1]");
            if (LabelSpan < 1) throw new ArgumentException("--label-span must be at least 1");
            if (Lags < 1 || Lags > 1024) throw new ArgumentException("--lags must be in 1..1024");
            if (LabelDelay < 0) throw new ArgumentException("--label-delay must not be negative");
            if (Chunks < 1 || Chunks > 1000) throw new ArgumentException("--chunks must be in 1..1000");
            if (BatchSize < 1 || BatchSize > ParameterLayer.MaxAccumulatedSamples) throw new ArgumentException("--batch must be in 1.." + ParameterLayer.MaxAccumulatedSamples);
            if (MaxUpdatesPerMinute < 0) throw new ArgumentException("--rate must not be negative");
            if (ReplayCapacity < 0 || ReplayCapacity > 100_000) throw new ArgumentException("--replay must be in 0..100000");
            if (HistorySamples < 1 || HistorySamples > 100_000) throw new ArgumentException("--history must be in 1..100000");
            if (ReselectEveryUpdates < 0) throw new ArgumentException("--reselect must not be negative");
            if (FreshReselectEveryUpdates < 0) throw new ArgumentException("--fresh-every must not be negative");
            if (DriftLambdaQ8 <= 0) throw new ArgumentException("--drift-lambda must be positive (Q8: 256 = one error beyond the running rate)");
            if (ReplayRecency < 0 || ReplayRecency > 1000) throw new ArgumentException("--replay-recency must be in 0..1000");
            if (PretrainEpochs < 0 || PretrainEpochs > 1000) throw new ArgumentException("--epochs must be in 0..1000");
            if (PretrainBatch < 1 || PretrainBatch > ParameterLayer.MaxAccumulatedSamples) throw new ArgumentException("the pre-training batch must be in 1.." + ParameterLayer.MaxAccumulatedSamples);
            if (MaxStreamRows < 0) throw new ArgumentException("--max-rows must not be negative");
            if (LrNumerator > 1_000_000 || LrDenominator > 1_000_000 || PretrainLrNumerator > 1_000_000 || PretrainLrDenominator > 1_000_000)
                throw new ArgumentException("--lr / --pretrain-lr: numerator and denominator must be at most 1000000");
            if (HiddenSizes.Any(h => h > 4096)) throw new ArgumentException("--hidden: sizes must be at most 4096");
            if (HiddenSizes.Any(h => h < 1)) throw new ArgumentException("hidden sizes must be positive");
            if (DeviceProfile.ByName(Profile) == null) throw new ArgumentException($"unknown profile '{Profile}' (esp32, esp32c3, stm32f429)");
            foreach (string p in Policies)
                if (!UpdatePolicyNames.TryParse(p, out _) || p == "sparse") throw new ArgumentException($"unknown baseline policy '{p}' (none, last-layer, bias-only, full; sparse runs come from --budgets)");
            foreach (string b in SparseBudgets) ParseBudget(b, out _, out _);
            if (Selections != null)
            {
                if (Selections.Length == 0) throw new ArgumentException("--selections: name at least one (" + string.Join(", ", AllSelections) + ")");
                foreach (string c in Selections) SelectionSpec.Criterion(c);
                try { SelectionSpec.Criterion(Reference); }
                catch (ArgumentException e) { throw new ArgumentException("--reference: " + e.Message); }
            }
            if (UpdateAllowanceMs < 1 || UpdateAllowanceMs > 600_000) throw new ArgumentException("--allowance-ms must be in 1..600000");
            if (ChartPath != null && Selections == null) throw new ArgumentException("--chart draws the selection study: give --selections too");
            if (Seeds < 1 || Seeds > 1000) throw new ArgumentException("--seeds must be in 1..1000");
            if (FirstSeed < 1 || FirstSeed > 1_000_000) throw new ArgumentException("--first-seed must be in 1..1000000");
            if (HasConv)
            {
                if (ConvKernel < 1 || ConvChannels < 1 || ConvChannels > 256)
                    throw new ArgumentException("--conv KERNEL,CHANNELS: the kernel must be at least 1 sample and the channels 1..256");
                if (Lags < ConvKernel)
                    throw new ArgumentException($"--conv: a kernel of {ConvKernel} samples needs a window of at least that many: give --lags {ConvKernel} or more (now {Lags})");
                if (ModelPath != null) throw new ArgumentException("--conv builds and pre-trains its own model: leave out --model");
                if (LabelInputs) throw new ArgumentException("--conv reads a window of the features only: leave out --label-inputs");
            }
            else if (ConvMaxPool) throw new ArgumentException("--pool max pools the conv's positions: give --conv KERNEL,CHANNELS too");
            if (ModelPath != null && Lags > 1) throw new ArgumentException("--model takes the model's own inputs: leave out --lags");
            if (ModelPath != null && LabelInputs) throw new ArgumentException("--model takes the model's own inputs: leave out --label-inputs");
            if (Fractions == null || Fractions.Length == 0) throw new ArgumentException("--fractions: give at least one budget");
            foreach (string f in Fractions) ParseFraction(f);
        }

        /// <summary>A fixed "BYTES:MACS" budget, or false for a named one.</summary>
        public static bool ParseBudget(string spec, out int bytes, out long macs)
        {
            bytes = 0; macs = 0;
            string[] named = { "last-layer", "bias-only", "full", "half-full", "profile" };
            if (named.Contains(spec)) return false;
            string[] parts = spec.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out bytes)
                || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out macs) || bytes < 0 || macs < 0)
                throw new ArgumentException($"budget '{spec}' is neither one of {string.Join(", ", named)} nor BYTES:MACS");
            return true;
        }

        /// <summary>A budget fraction in (0, 1] from a percentage ("12.5"), or 0 for "profile".</summary>
        public static double ParseFraction(string spec)
        {
            if (spec == "profile") return 0;
            string text = spec.EndsWith("%") ? spec[..^1] : spec;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double percent) || !(percent > 0) || percent > 100)
                throw new ArgumentException($"--fractions: '{spec}' is neither a percentage in (0, 100] nor 'profile'");
            return percent / 100;
        }

        public static string Usage =>
@"TinTin.Experiments — prequential comparison of update policies on a sensor stream.
  --train FILE --stream FILE     pre-train on one file, stream the other (time-ordered rows)
  --data FILE --split N          or one file: rows before N pre-train (N in (0,1): a fraction)
  --features A,B  --label COL  --time-column COL[,COL]|none   (default Temperature,Humidity / Occupancy / date)
  --time-format iso|epoch-ms|epoch-s|FORMAT  --no-header  --group COL  --missing error|skip|previous
  --label-map 0=0,1=1,2=1  --classes N
  --board-features default|NAMES  the firmware's own features (as prepare/simulate), per --group node, instead of --features
     --temperature COL --humidity COL [--pressure COL] (default Temperature, Humidity, none)  --window 8
  --hidden 16,16  --epochs 8  --pretrain-lr 1/8  --seed 1  --model FILE (a prepared model for every seed instead of pre-training)  --lags N (each feature now and N-1 rows back, per node)
  --conv KERNEL,CHANNELS (with --lags N >= KERNEL: Conv1D over the window, ReLU, then the --hidden layers)  --pool max|none (global max over positions)
  --history-windows (with --lags: the learner's history keeps whole windows, as before, instead of one row a sample)
  --label-fraction 0.05  --label-span 10  --label-delay 2  --label-inputs (the latest press and its age as inputs)
  --batch 8  --lr 1/64 (wide layers step at lr·16/fan-in, rounded to a power of two; --no-fan-in-scaling: every layer at lr)  --rate 6  --replay 64  --replay-recency 4  --history 128  --reselect 50  --profile esp32
  --scoring recent|mixed (score the history's labelled samples only, or fill with replay)  --layer-score normalised|potential
  --fill topfirst|layers|priced|whole|lookahead (scored channels layer by layer top layer first (default), layer by layer in layer-score order, by value per price across layers, the best by total value of the top-first fill and fills taking a lower layer right after the top one, or the one of those fills whose trial step lowers the loss most)
  --layers-below-labels N (the layer-score order until N samples are labelled, then the --fill; 0: off, the default)
  --scores pass|update (update: fresh scores from each update's own backward, re-selecting every --fresh-every 1 updates)
  --drift-lambda 512 (Q8 errors beyond the running rate that re-select)  --no-drift-reselect
  --policies none,last-layer,bias-only,full   --budgets last-layer,bias-only,half-full,full|profile|BYTES:MACS
  --chunks 8  --max-rows N  --csv FILE  --json [FILE]   (one JSON object; without FILE on standard output)
  --noise-burst 0.3,0.4          wrong labels between these fractions of the stream; reports recovery
selection study (instead of the policy table): every selection at equal byte and MAC budgets, seeds 1..N, paired
  --selections all|gradmag,fisher,topdown,random,first-layer,last-layer   --reference gradmag (the learner's default)
     a selection may carry its own settings: NAME+update|pass|freshN|priced|layers|topfirst|whole|lookahead|layersbelowN|drift|nodrift|recent|mixed|lambdaN|reselectN (e.g. gradmag+update+priced)
  --seeds 5  --first-seed 1  --fractions 12.5,25,50,100[,profile]  --allowance-ms 500  --json [FILE]  --chart FILE (tintin only: FILE.svg, FILE.png)";

        /// <summary>Parses command-line arguments (see <see cref="Usage"/>).</summary>
        public static ExperimentOptions Parse(string[] args)
        {
            var o = new ExperimentOptions();
            for (int i = 0; i < args.Length; i++)
            {
                string key = args[i];
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{key} needs a value");
                int NextInt() { string v = Next(); return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r : throw new ArgumentException($"{key}: '{v}' is not a whole number"); }
                double NextDouble() { string v = Next(); return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r : throw new ArgumentException($"{key}: '{v}' is not a number"); }
                string[] NextList() => Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                switch (key)
                {
                    case "--train": o.TrainPath = Next(); break;
                    case "--stream": o.StreamPath = Next(); break;
                    case "--data": o.DataPath = Next(); break;
                    case "--split": o.SplitRow = NextDouble(); break;
                    case "--features": o.FeatureColumns = NextList(); o.FeaturesGiven = true; break;
                    case "--board-features": o.BoardFeatures = NextList(); break;
                    case "--window": o.Window = NextInt(); break;
                    case "--temperature":
                    case "--temperature-column": o.TemperatureColumn = Next(); break;
                    case "--humidity":
                    case "--humidity-column": o.HumidityColumn = Next(); break;
                    case "--pressure":
                    case "--pressure-column": o.PressureColumn = Next(); break;
                    case "--label": o.LabelColumn = Next(); break;
                    case "--time":
                    case "--time-column": { string t = Next(); o.TimeColumn = t == "none" ? null : t; break; }
                    case "--time-format": o.TimeFormat = Next(); break;
                    case "--no-header": o.NoHeader = true; break;
                    case "--label-inputs": o.LabelInputs = true; break;
                    case "--lags": o.Lags = NextInt(); break;
                    case "--history-windows": o.HistoryWindows = true; break;
                    case "--conv":
                        {
                            string[] kc = NextList();
                            if (kc.Length != 2 || !int.TryParse(kc[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int k) || !int.TryParse(kc[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int c))
                                throw new ArgumentException("--conv needs KERNEL,CHANNELS (two whole numbers, e.g. 4,8)");
                            o.ConvKernel = k; o.ConvChannels = c; o.ConvGiven = true;
                            break;
                        }
                    case "--pool":
                        {
                            string v = Next();
                            o.ConvMaxPool = v == "max" ? true : v == "none" ? false : throw new ArgumentException($"--pool: '{v}' is neither max nor none");
                            break;
                        }
                    case "--no-fan-in-scaling": o.ScaleRateByFanIn = false; break;
                    case "--group": o.Group = Next(); break;
                    case "--missing": o.Missing = Next(); break;
                    case "--label-map": o.LabelMap = LabelSpec.ParseMap(Next()); break;
                    case "--classes": o.Classes = NextInt(); break;
                    case "--hidden": o.HiddenSizes = NextList().Select(s => int.TryParse(s, out int h) ? h : throw new ArgumentException($"--hidden: '{s}' is not a size")).ToArray(); break;
                    case "--epochs": o.PretrainEpochs = NextInt(); break;
                    case "--seed": o.Seed = NextInt(); break;
                    case "--model": o.ModelPath = Next(); break;
                    case "--first-seed": o.FirstSeed = NextInt(); break;
                    case "--label-fraction": o.LabelFraction = NextDouble(); break;
                    case "--label-span": o.LabelSpan = NextInt(); break;
                    case "--label-delay": o.LabelDelay = NextInt(); break;
                    case "--batch": o.BatchSize = NextInt(); break;
                    case "--lr":
                        {
                            string v = Next();
                            string[] p = v.Split('/');
                            if (p.Length != 2 || !int.TryParse(p[0], out int n) || !int.TryParse(p[1], out int d) || n < 0 || d <= 0)
                                throw new ArgumentException($"--lr: '{v}' is not a ratio like 1/64");
                            o.LrNumerator = n; o.LrDenominator = d; break;
                        }
                    case "--pretrain-lr":
                        {
                            string v = Next();
                            string[] p = v.Split('/');
                            if (p.Length != 2 || !int.TryParse(p[0], out int n) || !int.TryParse(p[1], out int d) || n <= 0 || d <= 0)
                                throw new ArgumentException($"--pretrain-lr: '{v}' is not a ratio like 1/8");
                            o.PretrainLrNumerator = n; o.PretrainLrDenominator = d; break;
                        }
                    case "--rate": o.MaxUpdatesPerMinute = NextInt(); break;
                    case "--replay": o.ReplayCapacity = NextInt(); break;
                    case "--replay-recency": o.ReplayRecency = NextInt(); break;
                    case "--history": o.HistorySamples = NextInt(); break;
                    case "--reselect": o.ReselectEveryUpdates = NextInt(); break;
                    case "--scoring":
                        {
                            string v = Next();
                            o.ScoreRecentOnly = v == "recent" ? true : v == "mixed" ? false : throw new ArgumentException($"--scoring: '{v}' is not recent or mixed");
                            break;
                        }
                    case "--layer-score":
                        {
                            string v = Next();
                            o.NormaliseLayerScore = v == "normalised" ? true : v == "potential" ? false : throw new ArgumentException($"--layer-score: '{v}' is not normalised or potential");
                            break;
                        }
                    case "--fill":
                        {
                            string v = Next();
                            if (v != "priced" && v != "layers" && v != "topfirst" && v != "whole" && v != "lookahead") throw new ArgumentException($"--fill: '{v}' is not layers, topfirst, priced, whole or lookahead");
                            o.PricedFill = v == "priced";
                            o.LayersTopDown = v == "topfirst" || v == "whole" || v == "lookahead";
                            o.WholeLayerFill = v == "whole";
                            o.LookAheadFill = v == "lookahead";
                            break;
                        }
                    case "--layers-below-labels":
                        {
                            int n = NextInt();
                            if (n < 0) throw new ArgumentException($"--layers-below-labels: {n} is negative (0: off)");
                            o.LayerScoreOrderBelowLabels = n;
                            break;
                        }
                    case "--scores":
                        {
                            string v = Next();
                            o.ScoreFromUpdates = v == "update" ? true : v == "pass" ? false : throw new ArgumentException($"--scores: '{v}' is not pass or update");
                            break;
                        }
                    case "--fresh-every": o.FreshReselectEveryUpdates = NextInt(); break;
                    case "--drift-lambda": o.DriftLambdaQ8 = NextInt(); break;
                    case "--no-drift-reselect": o.ReselectOnDrift = false; break;
                    case "--profile": o.Profile = Next(); break;
                    case "--policies": o.Policies = NextList(); break;
                    case "--budgets": o.SparseBudgets = NextList(); break;
                    case "--chunks": o.Chunks = NextInt(); break;
                    case "--noise-burst":
                        {
                            string v = Next();
                            string[] p = v.Split(',');
                            if (p.Length != 2 || !double.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
                                || !double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double b) || a < 0 || b > 1 || a >= b)
                                throw new ArgumentException($"--noise-burst: '{v}' is not START,END with 0 <= START < END <= 1 (fractions of the stream)");
                            o.NoiseBurstStart = a; o.NoiseBurstEnd = b; break;
                        }
                    case "--max-rows": o.MaxStreamRows = NextInt(); break;
                    case "--csv": o.CsvPath = Next(); break;
                    case "--selections": { string[] list = NextList(); o.Selections = list.Length == 1 && list[0] == "all" ? AllSelections : list; break; }
                    case "--reference": o.Reference = Next(); break;
                    case "--seeds": o.Seeds = NextInt(); break;
                    case "--fractions": o.Fractions = NextList(); break;
                    case "--json": o.JsonPath = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? Next() : StandardOutput; break;
                    case "--chart": o.ChartPath = Next(); break;
                    case "--allowance-ms": o.UpdateAllowanceMs = NextInt(); break;
                    default: throw new ArgumentException($"unknown option '{key}'");
                }
            }
            o.Validate();
            return o;
        }

        /// <summary>The occupancy defaults: pre-train on datatraining.txt, stream datatest2.txt, from a data folder.</summary>
        public static ExperimentOptions Occupancy(string occupancyFolder) => new ExperimentOptions
        {
            TrainPath = Path.Combine(occupancyFolder, "datatraining.txt"),
            StreamPath = Path.Combine(occupancyFolder, "datatest2.txt"),
        };
    }
}
