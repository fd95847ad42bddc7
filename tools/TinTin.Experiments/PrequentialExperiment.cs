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
        public int SelectedChannels { get; set; }
        public int TotalChannels { get; set; }
        public double Accuracy { get; set; }
        public double[] ChunkAccuracy { get; set; }
        public double FinalChunkAccuracy => ChunkAccuracy[^1];
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
            (SensorDataset train, SensorDataset stream) = LoadData(options);
            if (options.MaxStreamRows > 0 && stream.Count > options.MaxStreamRows) stream = stream.Slice(0, options.MaxStreamRows);

            InputNormalizer normalizer = NormalizerFit.Fit(train.Raw, decimals: train.Decimals);
            int classes = Math.Max(train.ClassCount, stream.ClassCount);
            var sizes = new List<int> { train.FeatureCount };
            sizes.AddRange(options.HiddenSizes);
            sizes.Add(classes);
            Network network = Network.CreateMlp(sizes.ToArray(), (uint)options.Seed, -1, false);
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

            List<LabelEvent> events = UserLabels(stream, options);
            var labelled = new bool[stream.Count];
            foreach (LabelEvent e in events) for (int i = e.From; i <= e.To; i++) labelled[i] = true;
            result.LabelledRows = labelled.Count(b => b);
            result.LabelEvents = events.Count;
            result.ChunkStarts = Enumerable.Range(0, options.Chunks).Select(c => (int)((long)c * stream.Count / options.Chunks)).ToArray();

            output.WriteLine($"pre-trained on {train.Count} rows ({string.Join(",", train.FeatureNames)} → {options.LabelColumn}, MLP {string.Join("-", sizes)}): train accuracy {result.PretrainAccuracy:P1}");
            output.WriteLine($"stream: {stream.Count} rows, {events.Count} button presses labelling {result.LabelledRows} rows ({(double)result.LabelledRows / stream.Count:P1}), span ≤ {options.LabelSpan}, delay {options.LabelDelay}");

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
            }
            PrintTable(result, options, output);
            if (options.CsvPath != null) WriteCsv(result, options.CsvPath, output);
            return result;
        }

        // ---- data ----------------------------------------------------------------------------------

        private static (SensorDataset, SensorDataset) LoadData(ExperimentOptions o) =>
            SensorDataset.LoadSplit(o.DataPath ?? o.TrainPath, o.DataPath != null ? null : o.StreamPath, o.SplitRow, o.CsvOptions(), o.FeatureColumns, o.Labels());

        /// <summary>A button press at row At labels rows From..To (one true class) with Label.</summary>
        public readonly record struct LabelEvent(int At, int From, int To, int Label);

        /// <summary>
        /// The simulated user: at each row, with probability LabelFraction / LabelSpan, labels the
        /// trailing run of one true class that ends LabelDelay rows earlier (at most LabelSpan rows).
        /// </summary>
        public static List<LabelEvent> UserLabels(SensorDataset stream, ExperimentOptions o)
        {
            var events = new List<LabelEvent>();
            var random = new Random(o.Seed * 31 + 7);
            double p = o.LabelFraction / o.LabelSpan;
            for (int t = 0; t < stream.Count; t++)
            {
                if (random.NextDouble() >= p) continue;
                int end = t - o.LabelDelay;
                if (end < 0) continue;
                int label = stream.Labels[end];
                int start = end;
                while (start > 0 && end - start + 1 < o.LabelSpan && stream.Labels[start - 1] == label) start--;
                events.Add(new LabelEvent(t, start, end, label));
            }
            return events;
        }

        // ---- one policy over the stream ---------------------------------------------------------------

        private static StrategyResult RunStream(string name, UpdatePolicy policy, int budgetBytes, long budgetMacs, byte[] pretrained,
            SensorDataset stream, List<LabelEvent> events, ExperimentOptions o, int[] chunkStarts)
        {
            Model model = ModelFile.Load(pretrained, pretrained.Length, -1, false);
            var config = new ContinualConfig
            {
                HistorySamples = o.HistorySamples,
                ReplayCapacity = o.ReplayCapacity,
                BatchSize = o.BatchSize,
                MaxUpdatesPerMinute = o.MaxUpdatesPerMinute,
                LearningRate = o.LearningRate(),
                BudgetBytes = budgetBytes,
                BudgetMacs = budgetMacs,
                ReselectEveryUpdates = o.ReselectEveryUpdates,
                Seed = (uint)o.Seed,
                Policy = policy,
                Profile = DeviceProfile.ByName(o.Profile),
            };
            var learner = new ContinualLearner(model, config);
            int chunks = chunkStarts.Length;
            var chunkCorrect = new int[chunks];
            var chunkCount = new int[chunks];
            int correct = 0, next = 0, chunk = 0, maxBytes = 0;
            long macsSum = 0, macsMax = 0;
            for (int t = 0; t < stream.Count; t++)
            {
                while (chunk + 1 < chunks && t >= chunkStarts[chunk + 1]) chunk++;
                long now = stream.TimesMs[t];
                int predicted = learner.Observe(stream.Raw[t], now);
                bool ok = predicted == stream.Labels[t];
                if (ok) { correct++; chunkCorrect[chunk]++; }
                chunkCount[chunk]++;
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
            return new StrategyResult
            {
                Name = name,
                Policy = policy,
                BudgetBytes = policy == UpdatePolicy.Sparse ? learner.BudgetBytes : 0,
                BudgetMacs = policy == UpdatePolicy.Sparse ? learner.BudgetMacs : 0,
                BytesPerUpdate = learner.Updates > 0 ? maxBytes : 0,
                MacsPerUpdate = learner.Updates > 0 ? macsSum / learner.Updates : 0,
                MaxMacsPerUpdate = macsMax,
                MicrojoulesPerUpdate = learner.Updates > 0 ? config.Profile.MicrojoulesFor(macsSum / learner.Updates) : 0,
                Updates = learner.Updates,
                Reselections = learner.Reselections,
                DriftSignals = learner.DriftSignals,
                SelectedChannels = policy == UpdatePolicy.BiasOnly ? totalChannels : learner.SelectedChannels,
                TotalChannels = totalChannels,
                Accuracy = (double)correct / stream.Count,
                ChunkAccuracy = Enumerable.Range(0, chunks).Select(c => chunkCount[c] == 0 ? 0 : (double)chunkCorrect[c] / chunkCount[c]).ToArray(),
            };
        }

        // ---- output --------------------------------------------------------------------------------

        public static void PrintTable(ExperimentResult r, ExperimentOptions o, TextWriter w)
        {
            var header = new StringBuilder();
            header.Append($"{"policy",-22}{"budget B",10}{"budget MACs",12}{"bytes/upd",10}{"MACs/upd",10}{"uJ/upd",9}{"chan",7}{"upd",6}{"resel",6}{"drift",6}{"acc",7}");
            for (int c = 0; c < r.ChunkStarts.Length; c++) header.Append($"{"t" + (c + 1),6}");
            w.WriteLine(header.ToString());
            foreach (StrategyResult s in r.Strategies)
            {
                var line = new StringBuilder();
                string budgetBytes = s.Policy == UpdatePolicy.Sparse ? s.BudgetBytes.ToString(CultureInfo.InvariantCulture) : "-";
                string budgetMacs = s.Policy == UpdatePolicy.Sparse ? (s.BudgetMacs == 0 ? "unlim" : s.BudgetMacs.ToString(CultureInfo.InvariantCulture)) : "-";
                line.Append($"{s.Name,-22}{budgetBytes,10}{budgetMacs,12}{s.BytesPerUpdate,10}{s.MacsPerUpdate,10}{s.MicrojoulesPerUpdate,9}{s.SelectedChannels + "/" + s.TotalChannels,7}{s.Updates,6}{s.Reselections,6}{s.DriftSignals,6}{Pct(s.Accuracy),7}");
                foreach (double a in s.ChunkAccuracy) line.Append($"{Pct(a),6}");
                w.WriteLine(line.ToString());
            }
            w.WriteLine($"accuracy is prequential (predicted before learning), in %; t1..t{r.ChunkStarts.Length} are equal time segments of the stream; " +
                $"bytes = backward-pass bytes (activations kept, activation grads, weight grads, optimiser); MACs and µJ ({o.Profile} profile) per update of ≤ {o.BatchSize} samples.");
        }

        private static string Pct(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture);

        public static void WriteCsv(ExperimentResult r, string path, TextWriter w)
        {
            string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
            var summary = new StringBuilder();
            summary.AppendLine("policy,budget_bytes,budget_macs,bytes_per_update,macs_per_update,max_macs_per_update,uj_per_update,selected_channels,total_channels,updates,reselections,drift_signals,accuracy,final_segment_accuracy,stream_rows,labelled_rows");
            foreach (StrategyResult s in r.Strategies)
                summary.AppendLine(string.Join(",", s.Name, s.BudgetBytes, s.BudgetMacs, s.BytesPerUpdate, s.MacsPerUpdate, s.MaxMacsPerUpdate, s.MicrojoulesPerUpdate,
                    s.SelectedChannels, s.TotalChannels, s.Updates, s.Reselections, s.DriftSignals, F(s.Accuracy), F(s.FinalChunkAccuracy), r.StreamRows, r.LabelledRows));
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
