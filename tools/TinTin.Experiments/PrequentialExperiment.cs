using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using TinTin.Core;
using TinTin.Reference;

namespace TinTin.Experiments
{
    /// <summary>One policy's run over the stream.</summary>
    public sealed class StrategyResult
    {
        public string Name { get; init; }
        public UpdatePolicy Policy { get; init; }
        public int BudgetBytes { get; init; }
        public long BudgetMacs { get; init; }
        /// <summary>Largest backward bytes an update used (the selection's, by the network's accounting).</summary>
        public int BytesPerUpdate { get; set; }
        /// <summary>Mean and largest MACs per update, as the OpCounters recorded them.</summary>
        public long MacsPerUpdate { get; set; }
        public long MaxMacsPerUpdate { get; set; }
        public long MicrojoulesPerUpdate { get; set; }
        public int Updates { get; set; }
        public int Reselections { get; set; }
        public int DriftSignals { get; set; }
        /// <summary>Samples the re-selections scored (an error-only forward and backward each).</summary>
        public long ScoredSamples { get; set; }
        /// <summary>MACs the look-ahead fill's trial steps and loss evaluations counted (0 without it).</summary>
        public long LookAheadMacs { get; set; }
        public int SelectedChannels { get; set; }
        /// <summary>The final selection's trainable channels per parameter layer, bottom to top.</summary>
        public int[] SelectedPerLayer { get; set; }
        public int TotalChannels { get; set; }
        public double Accuracy { get; set; }
        /// <summary>A baseline that learns nothing: last-label or majority-so-far.</summary>
        public bool IsBaseline { get; init; }
        /// <summary>Prequential confusion, balanced accuracy, per-class recall.</summary>
        public ClassMetrics Metrics { get; set; }
        public double BalancedAccuracy => Metrics?.BalancedAccuracy ?? 0;
        /// <summary>Bytes and update MACs of the selection in force at the end of the stream.</summary>
        public int SelectedBytes { get; set; }
        public long SelectedUpdateMacs { get; set; }
        public double[] ChunkAccuracy { get; set; }
        public double FinalChunkAccuracy => ChunkAccuracy[^1];
        /// <summary>Whether each stream row was predicted right (prequential).</summary>
        public bool[] Correct { get; set; }
        /// <summary>With a noise burst: the same policy on the clean labels (the control).</summary>
        public StrategyResult CleanControl { get; set; }
        public double AccuracyIn(int from, int to)
        {
            from = Math.Max(0, from); to = Math.Min(Correct.Length, to);
            if (to <= from) return 0;
            int n = 0;
            for (int i = from; i < to; i++) if (Correct[i]) n++;
            return (double)n / (to - from);
        }
    }

    public sealed class ExperimentResult
    {
        public List<StrategyResult> Strategies { get; } = new();
        public double PretrainAccuracy { get; set; }
        public int TrainRows { get; set; }
        public int StreamRows { get; set; }
        public int LabelledRows { get; set; }
        public int LabelEvents { get; set; }
        public int[] ChunkStarts { get; set; }
        /// <summary>Rows [BurstFrom, BurstTo) got wrong labels (0, 0: no burst); WrongLabels rows were mislabelled.</summary>
        public int BurstFrom { get; set; }
        public int BurstTo { get; set; }
        public int WrongLabels { get; set; }
        /// <summary>Labelled rows / stream rows, as the schedule produced it.</summary>
        public double MeasuredLabelFraction => StreamRows == 0 ? 0 : (double)LabelledRows / StreamRows;
        /// <summary>What always answering the stream's commonest class scores.</summary>
        public double MajorityRate { get; set; }
        /// <summary>The names of the baselines every run prints beside the learners.</summary>
        public static readonly string[] BaselineNames = { "last-label", "majority-so-far" };
        public StrategyResult Find(string name) => Strategies.FirstOrDefault(s => s.Name == name);
    }

    /// <summary>
    /// Prequential evaluation (test-then-train) of the continual learner on a recorded stream:
    /// pre-train the integer network on the first part, then feed the stream in time order. Each
    /// sample is predicted (Observe) before anything learns from it; a simulated user now and then
    /// presses a button that labels the trailing run of one class (at most LabelSpan samples, ending
    /// LabelDelay samples before the press) — late labels for a span; the learner updates when due.
    /// Every policy sees exactly the same stream and the same button presses.
    /// </summary>
    public static class PrequentialExperiment
    {
        public static ExperimentResult Run(ExperimentOptions options, TextWriter output)
        {
            options.Validate();
            output ??= TextWriter.Null;
            PreparedSeed prepared = Prepare(options);
            ExperimentResult result = prepared.Result;
            SensorDataset train = prepared.Train, stream = prepared.Stream;
            List<LabelEvent> events = prepared.Events;
            byte[] pretrained = prepared.Pretrained;
            List<int> sizes = prepared.Sizes;
            List<LabelEvent> cleanEvents = null;
            if (options.HasNoiseBurst)
            {
                cleanEvents = events;
                result.BurstFrom = (int)(options.NoiseBurstStart * stream.Count);
                result.BurstTo = (int)(options.NoiseBurstEnd * stream.Count);
                events = WithWrongLabelBurst(stream, cleanEvents, options, result.BurstFrom, result.BurstTo, sizes[^1], out int wrong);
                result.WrongLabels = wrong;
            }

            output.WriteLine($"pre-trained on {train.Count} rows ({string.Join(",", train.FeatureNames)} → {options.LabelColumn}, {prepared.Description}): train accuracy {result.PretrainAccuracy:P1}");
            output.WriteLine($"stream: {stream.Count} rows, {events.Count} button presses labelling {result.LabelledRows} rows (label fraction {result.MeasuredLabelFraction:P2} measured, {options.LabelFraction:P2} asked; {PressesPerDay(events.Count, stream):0.#} presses a day), span ≤ {options.LabelSpan}, delay {options.LabelDelay}");
            foreach (string name in ExperimentResult.BaselineNames)
                result.Strategies.Add(RunBaseline(name, pretrained, stream, events, result.ChunkStarts));
            result.MajorityRate = result.Strategies[0].Metrics.MajorityRate;

            // Baselines first: the sparse budgets refer to their costs.
            var needed = new List<string>(options.Policies);
            foreach (string b in options.SparseBudgets)
            {
                string baseline = b == "half-full" ? "full" : b;
                if (!ExperimentOptions.ParseBudget(b, out _, out _) && b != "profile" && !needed.Contains(baseline)) needed.Add(baseline);
            }
            foreach (string name in needed)
            {
                UpdatePolicyNames.TryParse(name, out UpdatePolicy policy);
                result.Strategies.Add(RunStream(name, policy, 0, 0, pretrained, stream, events, options, result.ChunkStarts));
                if (cleanEvents != null) result.Strategies[^1].CleanControl = RunStream(name, policy, 0, 0, pretrained, stream, cleanEvents, options, result.ChunkStarts);
            }
            foreach (string b in options.SparseBudgets)
            {
                int bytes; long macs;
                if (!ExperimentOptions.ParseBudget(b, out bytes, out macs))
                {
                    if (b == "profile") { bytes = 0; macs = 0; }
                    else
                    {
                        StrategyResult baseline = result.Find(b == "half-full" ? "full" : b);
                        bytes = baseline.BytesPerUpdate;
                        macs = baseline.MaxMacsPerUpdate;
                        if (b == "half-full") { bytes /= 2; macs /= 2; }
                    }
                }
                string name = "sparse@" + b;
                result.Strategies.Add(RunStream(name, UpdatePolicy.Sparse, bytes, macs, pretrained, stream, events, options, result.ChunkStarts));
                if (cleanEvents != null) result.Strategies[^1].CleanControl = RunStream(name, UpdatePolicy.Sparse, bytes, macs, pretrained, stream, cleanEvents, options, result.ChunkStarts);
            }
            PrintTable(result, options, output);
            if (options.HasNoiseBurst) PrintRecovery(result, output);
            if (options.CsvPath != null) WriteCsv(result, options.CsvPath, output);
            if (options.JsonPath != null && !options.JsonToStandardOutput)
            {
                JsonReport.WriteFile(options.JsonPath, ToJson(result, options));
                output.WriteLine($"wrote {options.JsonPath}");
            }
            return result;
        }

        /// <summary>
        /// The run as one JSON object: the best learner's prequential metrics at the top level
        /// (test_accuracy, balanced_accuracy, majority, per_class_recall, confusion), and every policy
        /// and baseline with accuracy, balanced accuracy and its cost per update.
        /// </summary>
        public static Dictionary<string, object> ToJson(ExperimentResult r, ExperimentOptions o)
        {
            StrategyResult best = r.Strategies.Where(x => !x.IsBaseline && x.Policy != UpdatePolicy.None).OrderByDescending(x => x.Accuracy).FirstOrDefault()
                ?? r.Strategies.FirstOrDefault(x => !x.IsBaseline);
            Dictionary<string, object> json = JsonReport.For("experiment", best?.Metrics);
            json["best_policy"] = best?.Name;
            json["stream_rows"] = r.StreamRows;
            json["labelled_rows"] = r.LabelledRows;
            json["label_fraction"] = r.MeasuredLabelFraction;
            json["presses"] = r.LabelEvents;
            json["seed"] = o.Seed;
            json["label_inputs"] = o.LabelInputs;
            json["learning_rate"] = o.LrNumerator + "/" + o.LrDenominator;
            json["pretrain_accuracy"] = r.PretrainAccuracy;
            json["policies"] = r.Strategies.Select(s => new Dictionary<string, object>
            {
                ["policy"] = s.Name,
                ["baseline"] = s.IsBaseline,
                ["accuracy"] = s.Accuracy,
                ["balanced_accuracy"] = s.BalancedAccuracy,
                ["bytes_per_update"] = s.BytesPerUpdate,
                ["macs_per_update"] = s.MacsPerUpdate,
                ["updates"] = s.Updates,
                ["per_class_recall"] = s.Metrics?.PerClassRecall,
            }).ToArray();
            StrategyResult lastLabel = r.Find("last-label");
            json["beats_last_label"] = best != null && lastLabel != null && best.Accuracy > lastLabel.Accuracy;
            return json;
        }

        /// <summary>One seed's pre-trained model, stream and button presses (everything a run needs).</summary>
        public sealed class PreparedSeed
        {
            public SensorDataset Train { get; init; }
            public SensorDataset Stream { get; init; }
            public List<LabelEvent> Events { get; init; }
            /// <summary>The pre-trained model as a model file.</summary>
            public byte[] Pretrained { get; init; }
            /// <summary>Layer widths, input to classes.</summary>
            public List<int> Sizes { get; init; }
            /// <summary>The network's shape in words (see <see cref="Describe"/>).</summary>
            public string Description { get; init; }
            public ExperimentResult Result { get; init; }
        }

        /// <summary>Loads the data, pre-trains the integer network with options.Seed and draws the button presses.</summary>
        public static PreparedSeed Prepare(ExperimentOptions options)
        {
            (SensorDataset train, SensorDataset stream) = LoadData(options);
            int features = train.FeatureCount;
            SensorDataset rows = options.Lags > 1 ? train : null; // the training rows before the window
            if (options.Lags > 1) { train = WithLags(train, options.Lags, options.HasConv); stream = WithLags(stream, options.Lags, options.HasConv); }
            if (options.MaxStreamRows > 0 && stream.Count > options.MaxStreamRows) stream = stream.Slice(0, options.MaxStreamRows);
            List<LabelEvent> events = UserLabels(stream, options);
            if (options.LabelInputs)
            {
                // What a board knows: its latest press and how old it is. The pre-training rows get
                // the same kind of presses (same label fraction) so the network learns to weigh them.
                train = WithLabelState(train, UserLabels(train, options));
                stream = WithLabelState(stream, events);
            }

            if (options.ModelPath != null) return PrepareWithModel(options, train, stream, events);
            // A window's rows are normalised alike (fitted on the rows, repeated at every lag), so a learner can keep rows.
            InputNormalizer normalizer = rows != null && !options.LabelInputs
                ? RepeatedOverWindow(NormalizerFit.Fit(rows.Raw, decimals: rows.Decimals), options.Lags, options.HasConv)
                : NormalizerFit.Fit(train.Raw, decimals: train.Decimals);
            int classes = Math.Max(train.ClassCount, stream.ClassCount);
            var sizes = new List<int> { train.FeatureCount };
            sizes.AddRange(options.HiddenSizes);
            sizes.Add(classes);
            Network network = options.HasConv ? CreateConvNet(options, features, classes) : Network.CreateMlp(sizes.ToArray(), (uint)options.Seed, -1, false);
            QDataset trainQ = QDataset.FromSensorRows(train, normalizer);
            var trainOptions = new TrainOptions
            {
                Epochs = options.PretrainEpochs, BatchSize = options.PretrainBatch, ShuffleSeed = options.Seed,
                LearningRateNumerator = options.PretrainLrNumerator, LearningRateDenominator = options.PretrainLrDenominator,
            };
            network.SetAllTrainable(true); // a new network starts with every channel frozen
            Trainer.TrainInteger(network, trainQ, trainOptions);
            var result = new ExperimentResult
            {
                PretrainAccuracy = Trainer.Accuracy(network, trainQ),
                TrainRows = train.Count,
                StreamRows = stream.Count,
            };
            byte[] pretrained = ModelFile.Save(new Model(network, normalizer));

            CountLabels(result, stream, events, options);
            return new PreparedSeed { Train = train, Stream = stream, Events = events, Pretrained = pretrained, Sizes = sizes, Result = result, Description = Describe(network) };
        }

        /// <summary>
        /// --conv: Conv1D over the window (input [lags][features], time-major as the layer reads it; CHANNELS filters of KERNEL
        /// samples) → ReLU → (--pool max: global max over positions) → the --hidden dense layers with ReLU → classes.
        /// He-uniform from the seed, like CreateMlp.
        /// </summary>
        public static Network CreateConvNet(ExperimentOptions o, int features, int classes)
        {
            if (!o.HasConv) throw new ArgumentException("CreateConvNet needs --conv KERNEL,CHANNELS");
            if (o.Lags < o.ConvKernel) throw new ArgumentException($"--conv: a kernel of {o.ConvKernel} samples needs --lags {o.ConvKernel} or more (now {o.Lags})");
            uint seed = (uint)o.Seed;
            var layers = new List<Layer>();
            var conv = new Conv1DLayer(o.Lags, features, o.ConvChannels, o.ConvKernel);
            conv.InitializeHeUniform(seed, o.ConvKernel * features);
            layers.Add(conv);
            layers.Add(new ReluLayer(conv.OutputLength));
            int width = conv.OutputLength;
            if (o.ConvMaxPool) { layers.Add(new GlobalMaxPoolLayer(conv.Positions, o.ConvChannels)); width = o.ConvChannels; }
            int[] widths = o.HiddenSizes.Append(classes).ToArray();
            for (int d = 0; d < widths.Length; d++)
            {
                var dense = new DenseLayer(width, widths[d]);
                dense.InitializeHeUniform(seed + (uint)((d + 1) * 7919), width);
                layers.Add(dense);
                if (d < widths.Length - 1) layers.Add(new ReluLayer(widths[d]));
                width = widths[d];
            }
            return new Network(layers.ToArray(), -1, false);
        }

        /// <summary>The network's shape for the study's header: "MLP 6-48-24-2", or "Conv1D 16x6 k4 c8 + MLP 104-24-2" (maxpool: "… pool …").</summary>
        public static string Describe(Network network)
        {
            var dense = new List<int>();
            string front = "";
            foreach (Layer layer in network.Layers)
            {
                if (layer is Conv1DLayer c) front = $"Conv1D {c.Length}x{c.InChannels} k{c.Kernel} c{c.OutChannels} + ";
                else if (layer is GlobalMaxPoolLayer) front += "max-pool + ";
                else if (layer is DenseLayer d) { if (dense.Count == 0) dense.Add(d.InputLength); dense.Add(d.Channels); }
            }
            return front + "MLP " + string.Join("-", dense);
        }

        /// <summary>--model: the given pre-trained model (its own normaliser) instead of pre-training; checked against the features.</summary>
        private static PreparedSeed PrepareWithModel(ExperimentOptions options, SensorDataset train, SensorDataset stream, List<LabelEvent> events)
        {
            byte[] pretrained = InputFiles.ReadAllBytes(options.ModelPath, InputFiles.MaxDataBytes, "--model");
            Model model;
            try { model = ModelFile.Load(pretrained, pretrained.Length, -1, false); }
            catch (Exception e) when (e is ArgumentException || e is InvalidOperationException || e is IndexOutOfRangeException)
            { throw new ArgumentException($"--model {options.ModelPath}: not a model file ({e.Message})"); }
            Network network = model.Network;
            if (network.InputLength != train.FeatureCount)
                throw new ArgumentException($"--model {options.ModelPath}: the model takes {network.InputLength} inputs but the data gives {train.FeatureCount} features ({string.Join(",", train.FeatureNames)}); a prepared board model needs --board-features");
            int classes = Math.Max(train.ClassCount, stream.ClassCount);
            if (network.ClassCount < classes)
                throw new ArgumentException($"--model {options.ModelPath}: the model has {network.ClassCount} classes but the data has {classes}");
            var sizes = new List<int> { network.InputLength };
            foreach (Layer layer in network.Layers) if (layer is DenseLayer d) sizes.Add(d.Channels);
            var result = new ExperimentResult
            {
                PretrainAccuracy = Trainer.Accuracy(network, QDataset.FromSensorRows(train, model.Normalizer)),
                TrainRows = train.Count,
                StreamRows = stream.Count,
            };
            CountLabels(result, stream, events, options);
            return new PreparedSeed { Train = train, Stream = stream, Events = events, Pretrained = pretrained, Sizes = sizes, Result = result, Description = Describe(network) };
        }

        /// <summary>The labelled rows, presses and chunk starts of a prepared stream.</summary>
        private static void CountLabels(ExperimentResult result, SensorDataset stream, List<LabelEvent> events, ExperimentOptions options)
        {
            var labelled = new bool[stream.Count];
            foreach (LabelEvent e in events) for (int i = e.From; i <= e.To; i++) labelled[i] = true;
            result.LabelledRows = labelled.Count(b => b);
            result.LabelEvents = events.Count;
            result.ChunkStarts = Enumerable.Range(0, options.Chunks).Select(c => (int)((long)c * stream.Count / options.Chunks)).ToArray();
        }

        // ---- data ----------------------------------------------------------------------------------

        private static (SensorDataset, SensorDataset) LoadData(ExperimentOptions o) =>
            o.BoardFeatures != null ? LoadBoardFeatures(o)
            : SensorDataset.LoadSplit(o.DataPath ?? o.TrainPath, o.DataPath != null ? null : o.StreamPath, o.SplitRow, o.CsvOptions(), o.FeatureColumns, o.Labels());

        /// <summary>
        /// --board-features: the rows the firmware's pipeline gives once warm (ModelPreparation.FeatureRows, the code
        /// `prepare --board-features` and `simulate` run). With --data the split counts those rows.
        /// </summary>
        private static (SensorDataset, SensorDataset) LoadBoardFeatures(ExperimentOptions o)
        {
            int[] ids = o.BoardFeatureIds();
            TinTin.Sensors.ReplayColumns columns = o.BoardColumns();
            try
            {
                if (o.DataPath == null)
                {
                    SensorDataset train = TinTin.VirtualBoard.ModelPreparation.FeatureRows(o.TrainPath, columns, ids, o.Window, o.Classes);
                    SensorDataset stream = TinTin.VirtualBoard.ModelPreparation.FeatureRows(o.StreamPath, columns, ids, o.Window, o.Classes);
                    int classes = Math.Max(train.ClassCount, stream.ClassCount);
                    return (train.WithClasses(classes), stream.WithClasses(classes));
                }
                SensorDataset all = TinTin.VirtualBoard.ModelPreparation.FeatureRows(o.DataPath, columns, ids, o.Window, o.Classes);
                int cut = o.SplitRow < 1 ? (int)Math.Round(all.Count * o.SplitRow) : (int)o.SplitRow;
                if (cut < 1 || cut >= all.Count)
                    throw new ArgumentException($"{o.DataPath}: {all.Count} rows of board features are too few to split at {o.SplitRow.ToString(CultureInfo.InvariantCulture)} (row {cut})");
                return (all.Slice(0, cut), all.Slice(cut, all.Count - cut));
            }
            catch (InvalidDataException e) { throw new ArgumentException(e.Message); }
        }

        /// <summary>A button press at row At labels rows From..To (one true class) with Label.</summary>
        public readonly record struct LabelEvent(int At, int From, int To, int Label);

        /// <summary>
        /// The simulated user, labelling the fraction of rows asked for (as measured): whenever the
        /// labelled rows fall behind LabelFraction × rows seen by a random margin (half to one
        /// LabelSpan, less on a stream too short for that), the person presses: the trailing run of
        /// one true class ending LabelDelay rows earlier is labelled, at most LabelSpan rows and no
        /// more than the shortfall. A short stream gets a press too.
        /// </summary>
        public static List<LabelEvent> UserLabels(SensorDataset stream, ExperimentOptions o)
        {
            var events = new List<LabelEvent>();
            if (o.LabelFraction <= 0 || stream.Count <= o.LabelDelay) return events;
            var random = new Random(o.Seed * 31 + 7);
            double most = Math.Max(1, Math.Min(o.LabelSpan, o.LabelFraction * (stream.Count - o.LabelDelay)));
            double margin = most * (0.5 + 0.5 * random.NextDouble());
            int labelled = 0, lastLabelled = -1;
            for (int t = o.LabelDelay; t < stream.Count; t++)
            {
                double shortfall = o.LabelFraction * (t + 1) - labelled;
                if (shortfall < margin) continue;
                int end = t - o.LabelDelay;
                if (end <= lastLabelled) continue;
                int span = Math.Min(o.LabelSpan, Math.Max(1, (int)Math.Ceiling(shortfall)));
                int label = stream.Labels[end];
                int start = end;
                while (start > lastLabelled + 1 && end - start + 1 < span && stream.Labels[start - 1] == label) start--;
                events.Add(new LabelEvent(t, start, end, label));
                labelled += end - start + 1;
                lastLabelled = end;
                margin = most * (0.5 + 0.5 * random.NextDouble());
            }
            return events;
        }

        /// <summary>
        /// Each feature now and at the lags − 1 previous rows of the same node ([f0 now, f0 one row back, …, f1 now, …]);
        /// before a node's first rows the earliest value stands in. Same rows, labels and times.
        /// timeMajor: [oldest row: f0, f1, …][…][now: f0, f1, …] instead, the [length][channels] a Conv1DLayer reads.
        /// </summary>
        public static SensorDataset WithLags(SensorDataset d, int lags, bool timeMajor = false)
        {
            if (timeMajor) return WithTimeMajorLags(d, lags);
            int f = d.FeatureCount;
            var names = new string[f * lags];
            var decimals = new int[f * lags];
            for (int j = 0; j < f; j++)
                for (int k = 0; k < lags; k++) { names[j * lags + k] = k == 0 ? d.FeatureNames[j] : d.FeatureNames[j] + "-" + k; decimals[j * lags + k] = d.Decimals[j]; }
            int groups = d.Groups.Length == 0 ? 1 : d.Groups.Max() + 1;
            var history = new List<int>[groups]; // row indices of each node so far
            for (int g = 0; g < groups; g++) history[g] = new List<int>();
            var raw = new int[d.Count][];
            for (int t = 0; t < d.Count; t++)
            {
                List<int> rows = history[d.Groups[t]];
                rows.Add(t);
                var row = new int[f * lags];
                for (int k = 0; k < lags; k++)
                {
                    int source = rows[Math.Max(0, rows.Count - 1 - k)];
                    for (int j = 0; j < f; j++) row[j * lags + k] = d.Raw[source][j];
                }
                raw[t] = row;
            }
            return new SensorDataset(names, raw, d.Labels, d.TimesMs, d.ClassCount, decimals, d.Groups);
        }

        /// <summary>
        /// A row normaliser repeated at every row of a window laid out as <see cref="WithLags"/> lays it out (timeMajor:
        /// [oldest..now][feature], else [feature][rows back]): every lag of a feature normalised alike.
        /// </summary>
        public static InputNormalizer RepeatedOverWindow(InputNormalizer row, int lags, bool timeMajor)
        {
            int f = row.FeatureCount;
            var scales = new FeatureScale[f * lags];
            for (int j = 0; j < f; j++)
                for (int k = 0; k < lags; k++) scales[timeMajor ? (lags - 1 - k) * f + j : j * lags + k] = row.Features[j];
            return new InputNormalizer(scales, row.InputExponent);
        }

        /// <summary>
        /// The learner's ContinualConfig.WindowRows for this stream: --lags when its windows are kept as rows
        /// (<see cref="ExperimentOptions.HistoryWindowRows"/>), but 1 when the stream interleaves several nodes (--group):
        /// the rows a learner sees are then not one node's consecutive rows, so it keeps whole windows.
        /// </summary>
        public static int WindowRowsFor(ExperimentOptions o, SensorDataset stream)
        {
            int[] groups = stream.Groups;
            for (int t = 1; t < groups.Length; t++) if (groups[t] != groups[0]) return 1;
            return o.HistoryWindowRows;
        }

        /// <summary>The window as [lags][features], oldest row first (see <see cref="WithLags"/>).</summary>
        private static SensorDataset WithTimeMajorLags(SensorDataset d, int lags)
        {
            SensorDataset byFeature = WithLags(d, lags);
            int f = d.FeatureCount;
            var names = new string[f * lags];
            var decimals = new int[f * lags];
            var raw = new int[d.Count][];
            // byFeature index j·lags + k (feature j, k rows back) → position (lags − 1 − k)·f + j.
            for (int j = 0; j < f; j++)
                for (int k = 0; k < lags; k++) { names[(lags - 1 - k) * f + j] = byFeature.FeatureNames[j * lags + k]; decimals[(lags - 1 - k) * f + j] = byFeature.Decimals[j * lags + k]; }
            for (int t = 0; t < d.Count; t++)
            {
                var row = new int[f * lags];
                for (int j = 0; j < f; j++)
                    for (int k = 0; k < lags; k++) row[(lags - 1 - k) * f + j] = byFeature.Raw[t][j * lags + k];
                raw[t] = row;
            }
            return new SensorDataset(names, raw, d.Labels, d.TimesMs, d.ClassCount, decimals, d.Groups);
        }

        /// <summary>Caps the label-age input: older than a week is "long ago".</summary>
        public const int MaxLabelAgeMinutes = 7 * 24 * 60;

        /// <summary>
        /// The rows with the board's label state appended: one 0/1 input per class for the latest
        /// press known before the row is predicted (all 0 before the first), and its age in minutes
        /// (capped at a week).
        /// </summary>
        public static SensorDataset WithLabelState(SensorDataset d, List<LabelEvent> events)
        {
            int k = d.ClassCount;
            var raw = new int[d.Count][];
            int next = 0, last = -1;
            long lastAt = 0;
            for (int t = 0; t < d.Count; t++)
            {
                var row = new int[d.FeatureCount + k + 1];
                Array.Copy(d.Raw[t], row, d.FeatureCount);
                if (last >= 0) row[d.FeatureCount + last] = 1;
                row[^1] = last < 0 ? MaxLabelAgeMinutes : (int)Math.Min(MaxLabelAgeMinutes, (d.TimesMs[t] - lastAt) / 60_000);
                raw[t] = row;
                while (next < events.Count && events[next].At == t) { last = events[next].Label; lastAt = d.TimesMs[t]; next++; }
            }
            string[] names = d.FeatureNames.Concat(Enumerable.Range(0, k).Select(c => "LastLabelIs" + c)).Append("LastLabelAgeMinutes").ToArray();
            int[] decimals = d.Decimals.Concat(Enumerable.Repeat(0, k + 1)).ToArray();
            return new SensorDataset(names, raw, d.Labels, d.TimesMs, k, decimals, d.Groups);
        }

        /// <summary>Presses per day of stream time (rows one minute apart without a time column).</summary>
        public static double PressesPerDay(int presses, SensorDataset stream)
        {
            double days = stream.Count < 2 ? 0 : (stream.TimesMs[^1] - stream.TimesMs[0]) / 86_400_000.0;
            return days <= 0 ? presses : presses / days;
        }

        // ---- the honest baselines ---------------------------------------------------------------------

        /// <summary>
        /// last-label answers the class of the most recent press; majority-so-far the class with
        /// the most labelled rows so far. They get each press when the learner does (after the
        /// press's row is predicted); before the first press they answer as the pre-trained model.
        /// </summary>
        public static StrategyResult RunBaseline(string name, byte[] pretrained, SensorDataset stream, List<LabelEvent> events, int[] chunkStarts)
        {
            Model model = ModelFile.Load(pretrained, pretrained.Length, 0, false);
            int classes = model.Network.ClassCount;
            var counts = new long[classes];
            var tally = new Tally(classes, chunkStarts);
            int last = -1, next = 0;
            for (int t = 0; t < stream.Count; t++)
            {
                int predicted;
                if (last < 0)
                {
                    model.Normalizer.Normalize(stream.Raw[t], model.Network.Input);
                    predicted = model.Network.Predict();
                }
                else if (name == "last-label") predicted = last;
                else
                {
                    predicted = 0;
                    for (int c = 1; c < classes; c++) if (counts[c] > counts[predicted]) predicted = c;
                }
                tally.Add(t, stream.Labels[t], predicted);
                while (next < events.Count && events[next].At == t)
                {
                    LabelEvent e = events[next++];
                    last = e.Label;
                    counts[e.Label] += e.To - e.From + 1;
                }
            }
            return new StrategyResult { Name = name, Policy = UpdatePolicy.None, IsBaseline = true, Accuracy = tally.Metrics.Accuracy, Metrics = tally.Metrics, ChunkAccuracy = tally.ChunkAccuracy() };
        }

        /// <summary>Prequential bookkeeping: the confusion matrix and accuracy per time segment.</summary>
        private sealed class Tally
        {
            public readonly ClassMetrics Metrics;
            private readonly int[] chunkStarts, chunkCorrect, chunkCount;
            private int chunk;

            public Tally(int classes, int[] chunkStarts)
            {
                Metrics = new ClassMetrics(classes);
                this.chunkStarts = chunkStarts;
                chunkCorrect = new int[chunkStarts.Length];
                chunkCount = new int[chunkStarts.Length];
            }

            public void Add(int t, int truth, int predicted)
            {
                while (chunk + 1 < chunkStarts.Length && t >= chunkStarts[chunk + 1]) chunk++;
                Metrics.Add(truth, predicted);
                if (truth == predicted) chunkCorrect[chunk]++;
                chunkCount[chunk]++;
            }

            public double[] ChunkAccuracy() => Enumerable.Range(0, chunkCount.Length).Select(c => chunkCount[c] == 0 ? 0 : (double)chunkCorrect[c] / chunkCount[c]).ToArray();
        }

        // ---- one policy over the stream ---------------------------------------------------------------

        private static StrategyResult RunStream(string name, UpdatePolicy policy, int budgetBytes, long budgetMacs, byte[] pretrained,
            SensorDataset stream, List<LabelEvent> events, ExperimentOptions o, int[] chunkStarts)
            => RunStream(name, policy, new ContinualConfig().Criterion, budgetBytes, budgetMacs, pretrained, stream, events, o, chunkStarts);

        /// <summary>One policy (and, for Sparse, one selection criterion) over the whole stream, test-then-train.</summary>
        public static StrategyResult RunStream(string name, UpdatePolicy policy, SelectionCriterion criterion, int budgetBytes, long budgetMacs, byte[] pretrained,
            SensorDataset stream, List<LabelEvent> events, ExperimentOptions o, int[] chunkStarts)
        {
            Model model = ModelFile.Load(pretrained, pretrained.Length, -1, false);
            var config = new ContinualConfig
            {
                HistorySamples = o.HistorySamples,
                ReplayCapacity = o.ReplayCapacity,
                ReplayRecency = o.ReplayRecency,
                BatchSize = o.BatchSize,
                MaxUpdatesPerMinute = o.MaxUpdatesPerMinute,
                LearningRate = o.LearningRate(),
                ScaleRateByFanIn = o.ScaleRateByFanIn,
                BudgetBytes = budgetBytes,
                BudgetMacs = budgetMacs == 0 ? long.MaxValue : budgetMacs, // the experiment's 0 is unlimited; the learner's 0 is the profile's allowance
                ReselectEveryUpdates = o.ReselectEveryUpdates,
                ScoreRecentOnly = o.ScoreRecentOnly,
                NormaliseLayerScore = o.NormaliseLayerScore,
                PricedFill = o.PricedFill,
                LayersTopDown = o.LayersTopDown,
                WholeLayerFill = o.WholeLayerFill,
                LookAheadFill = o.LookAheadFill,
                LayerScoreOrderBelowLabels = o.LayerScoreOrderBelowLabels,
                ScoreFromUpdates = o.ScoreFromUpdates,
                FreshReselectEveryUpdates = o.FreshReselectEveryUpdates,
                DriftLambdaQ8 = o.DriftLambdaQ8,
                ReselectOnDrift = o.ReselectOnDrift,
                Seed = (uint)o.Seed,
                Policy = policy,
                Criterion = criterion,
                Profile = DeviceProfile.ByName(o.Profile),
                WindowRows = WindowRowsFor(o, stream),
                WindowTimeMajor = o.HasConv,
            };
            var learner = new ContinualLearner(model, config);
            var tally = new Tally(model.Network.ClassCount, chunkStarts);
            var correctRows = new bool[stream.Count];
            int next = 0, maxBytes = 0;
            long macsSum = 0, macsMax = 0;
            for (int t = 0; t < stream.Count; t++)
            {
                long now = stream.TimesMs[t];
                int predicted = learner.Observe(stream.Raw[t], now);
                tally.Add(t, stream.Labels[t], predicted);
                correctRows[t] = predicted == stream.Labels[t];
                while (next < events.Count && events[next].At == t)
                {
                    LabelEvent e = events[next++];
                    learner.LabelRecent(e.Label, stream.TimesMs[e.From], stream.TimesMs[e.To]);
                }
                if (learner.UpdateIfDue(now))
                {
                    macsSum += learner.LastUpdateMacs;
                    macsMax = Math.Max(macsMax, learner.LastUpdateMacs);
                    maxBytes = Math.Max(maxBytes, learner.LastUpdateBytes);
                }
            }
            int totalChannels = learner.Scorer.TotalChannels;
            var countsByLayer = new int[model.Network.Layers.Length];
            learner.Selector.CountsOfNetwork(countsByLayer);
            int[] perLayer = learner.Scorer.LayerIndex.Select(l => countsByLayer[l]).ToArray();
            return new StrategyResult
            {
                Name = name,
                Policy = policy,
                BudgetBytes = policy == UpdatePolicy.Sparse ? learner.BudgetBytes : 0,
                BudgetMacs = policy == UpdatePolicy.Sparse && learner.BudgetMacs != long.MaxValue ? learner.BudgetMacs : 0,
                BytesPerUpdate = learner.Updates > 0 ? maxBytes : 0,
                MacsPerUpdate = learner.Updates > 0 ? macsSum / learner.Updates : 0,
                MaxMacsPerUpdate = macsMax,
                MicrojoulesPerUpdate = learner.Updates > 0 ? config.Profile.MicrojoulesFor(macsSum / learner.Updates) : 0,
                Updates = learner.Updates,
                Reselections = learner.Reselections,
                DriftSignals = learner.DriftSignals,
                ScoredSamples = learner.ScoredSamples,
                LookAheadMacs = learner.LookAheadMacs,
                SelectedChannels = policy == UpdatePolicy.BiasOnly ? totalChannels : learner.SelectedChannels,
                SelectedPerLayer = perLayer,
                TotalChannels = totalChannels,
                Accuracy = tally.Metrics.Accuracy,
                Metrics = tally.Metrics,
                ChunkAccuracy = tally.ChunkAccuracy(),
                Correct = correctRows,
                SelectedBytes = learner.SelectedBytes,
                SelectedUpdateMacs = learner.Selector.SelectedUpdateMacs,
            };
        }

        /// <summary>
        /// The burst: every press in [from, to) gives a wrong class, and the user presses every
        /// LabelSpan rows (the trailing span of one true class, labelled wrong).
        /// </summary>
        public static List<LabelEvent> WithWrongLabelBurst(SensorDataset stream, List<LabelEvent> clean, ExperimentOptions o, int from, int to, int classes, out int wrongRows)
        {
            var events = new List<LabelEvent>();
            foreach (LabelEvent e in clean) if (e.At < from || e.At >= to) events.Add(e);
            wrongRows = 0;
            for (int t = Math.Max(from, o.LabelDelay); t < to; t += o.LabelSpan)
            {
                int end = t - o.LabelDelay;
                int label = stream.Labels[end];
                int start = end;
                while (start > 0 && end - start + 1 < o.LabelSpan && stream.Labels[start - 1] == label) start--;
                events.Add(new LabelEvent(t, start, end, (label + 1) % classes));
                wrongRows += end - start + 1;
            }
            events.Sort((a, b) => a.At.CompareTo(b.At));
            return events;
        }

        /// <summary>Recovery after the burst: accuracy before it, right after it, and at the end, each beside the clean control.</summary>
        public static void PrintRecovery(ExperimentResult r, TextWriter w)
        {
            int window = Math.Max(1, Math.Min(r.BurstTo - r.BurstFrom, (r.StreamRows - r.BurstTo) / 2));
            w.WriteLine();
            w.WriteLine($"noise burst: rows {r.BurstFrom}..{r.BurstTo - 1} labelled wrong ({r.WrongLabels} wrong row labels); windows of {window} rows; noisy run / clean control, %");
            w.WriteLine($"{"policy",-22}{"before",14}{"just after",14}{"final",14}{"recovered",11}{"rows to recover",17}");
            foreach (StrategyResult s in r.Strategies)
            {
                StrategyResult c = s.CleanControl;
                if (c == null || s.Correct == null) continue; // the baselines get no clean control
                double before = s.AccuracyIn(r.BurstFrom - window, r.BurstFrom), after = s.AccuracyIn(r.BurstTo, r.BurstTo + window);
                double final = s.AccuracyIn(r.StreamRows - window, r.StreamRows), cleanFinal = c.AccuracyIn(r.StreamRows - window, r.StreamRows);
                string Pair(double a, double b) => Pct(a) + "/" + Pct(b);
                w.WriteLine($"{s.Name,-22}{Pair(before, c.AccuracyIn(r.BurstFrom - window, r.BurstFrom)),14}{Pair(after, c.AccuracyIn(r.BurstTo, r.BurstTo + window)),14}{Pair(final, cleanFinal),14}{(final >= cleanFinal - 0.02 ? "yes" : "no") + " (" + (final - cleanFinal >= 0 ? "+" : "") + Pct(final - cleanFinal) + ")",11}{(RowsToRecover(s, r) is int rows && rows >= 0 ? rows.ToString(CultureInfo.InvariantCulture) : "never"),17}");
            }
            w.WriteLine("recovered: final-window accuracy within 2 points of the same policy on clean labels; rows to recover: rows after the burst until the");
            w.WriteLine($"accuracy over the last {RecoveryWindow} rows is back within 5 points of the clean control's (and stays there for {RecoveryWindow} rows); 'never' if it does not.");
        }

        public const int RecoveryWindow = 500;

        /// <summary>Rows after the burst until the rolling accuracy is within 5 points of the clean control's and stays there for a window; -1: never.</summary>
        public static int RowsToRecover(StrategyResult s, ExperimentResult r)
        {
            int w = RecoveryWindow, hold = 0;
            for (int t = r.BurstTo; t + w <= r.StreamRows; t++)
            {
                bool close = s.AccuracyIn(t, t + w) >= s.CleanControl.AccuracyIn(t, t + w) - 0.05;
                hold = close ? hold + 1 : 0;
                if (hold >= w) return t - w + 1 - r.BurstTo;
            }
            return -1;
        }

        // ---- output --------------------------------------------------------------------------------

        public static void PrintTable(ExperimentResult r, ExperimentOptions o, TextWriter w)
        {
            var header = new StringBuilder();
            header.Append($"{"policy",-22}{"budget B",10}{"budget MACs",12}{"bytes/upd",10}{"MACs/upd",10}{"uJ/upd",9}{"chan",7}{"upd",6}{"resel",6}{"drift",6}{"acc",7}{"bal",7}");
            for (int c = 0; c < r.ChunkStarts.Length; c++) header.Append($"{"t" + (c + 1),6}");
            w.WriteLine(header.ToString());
            foreach (StrategyResult s in r.Strategies)
            {
                var line = new StringBuilder();
                string budgetBytes = s.Policy == UpdatePolicy.Sparse ? s.BudgetBytes.ToString(CultureInfo.InvariantCulture) : "-";
                string budgetMacs = s.Policy == UpdatePolicy.Sparse ? (s.BudgetMacs == 0 ? "unlim" : s.BudgetMacs.ToString(CultureInfo.InvariantCulture)) : "-";
                if (s.IsBaseline) line.Append($"{s.Name,-22}{"-",10}{"-",12}{"-",10}{"-",10}{"-",9}{"-",7}{"-",6}{"-",6}{"-",6}{Pct(s.Accuracy),7}{Pct(s.BalancedAccuracy),7}");
                else line.Append($"{s.Name,-22}{budgetBytes,10}{budgetMacs,12}{s.BytesPerUpdate,10}{s.MacsPerUpdate,10}{s.MicrojoulesPerUpdate,9}{s.SelectedChannels + "/" + s.TotalChannels,7}{s.Updates,6}{s.Reselections,6}{s.DriftSignals,6}{Pct(s.Accuracy),7}{Pct(s.BalancedAccuracy),7}");
                foreach (double a in s.ChunkAccuracy) line.Append($"{Pct(a),6}");
                w.WriteLine(line.ToString());
            }
            w.WriteLine($"accuracy is prequential (predicted before learning), in %; t1..t{r.ChunkStarts.Length} are equal time segments of the stream; " +
                $"bytes = backward-pass bytes (activations kept, activation grads, weight grads, optimiser); MACs and µJ ({o.Profile} profile) per update of ≤ {o.BatchSize} samples.");
            w.WriteLine($"bal = balanced accuracy (mean recall over the classes); always answering the commonest class scores {Pct(r.MajorityRate)} %. " +
                "last-label repeats the latest press, majority-so-far the commonest labelled class; both learn nothing.");
            StrategyResult lastLabel = r.Find("last-label");
            StrategyResult best = r.Strategies.Where(x => !x.IsBaseline && x.Policy != UpdatePolicy.None).OrderByDescending(x => x.Accuracy).FirstOrDefault();
            if (lastLabel != null && best != null)
                w.WriteLine($"best learner {best.Name} {Pct(best.Accuracy)} % (balanced {Pct(best.BalancedAccuracy)} %) vs last-label {Pct(lastLabel.Accuracy)} % (balanced {Pct(lastLabel.BalancedAccuracy)} %): "
                    + (best.Accuracy > lastLabel.Accuracy ? "the learner wins" : "last-label wins — the learner does not beat repeating the latest press"));
            foreach (StrategyResult x in r.Strategies.Where(x => x.Metrics != null && x.Metrics.PredictsOneClass))
                w.WriteLine($"{x.Name}: {x.Metrics.Warning()}");
        }

        private static string Pct(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture);

        public static void WriteCsv(ExperimentResult r, string path, TextWriter w)
        {
            string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
            var summary = new StringBuilder();
            summary.AppendLine("policy,budget_bytes,budget_macs,bytes_per_update,macs_per_update,max_macs_per_update,uj_per_update,selected_channels,total_channels,updates,reselections,drift_signals,accuracy,final_segment_accuracy,stream_rows,labelled_rows,balanced_accuracy");
            foreach (StrategyResult s in r.Strategies)
                summary.AppendLine(string.Join(",", s.Name, s.BudgetBytes, s.BudgetMacs, s.BytesPerUpdate, s.MacsPerUpdate, s.MaxMacsPerUpdate, s.MicrojoulesPerUpdate,
                    s.SelectedChannels, s.TotalChannels, s.Updates, s.Reselections, s.DriftSignals, F(s.Accuracy), F(s.FinalChunkAccuracy), r.StreamRows, r.LabelledRows, F(s.BalancedAccuracy)));
            string directory = Path.GetDirectoryName(Path.GetFullPath(path));
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, summary.ToString());
            var time = new StringBuilder();
            time.AppendLine("policy,segment,first_row,last_row,accuracy");
            foreach (StrategyResult s in r.Strategies)
                for (int c = 0; c < r.ChunkStarts.Length; c++)
                {
                    int last = (c + 1 < r.ChunkStarts.Length ? r.ChunkStarts[c + 1] : r.StreamRows) - 1;
                    time.AppendLine(string.Join(",", s.Name, c + 1, r.ChunkStarts[c], last, F(s.ChunkAccuracy[c])));
                }
            string timePath = Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + "-over-time.csv");
            File.WriteAllText(timePath, time.ToString());
            w.WriteLine($"wrote {path} and {timePath}");
        }
    }
}
