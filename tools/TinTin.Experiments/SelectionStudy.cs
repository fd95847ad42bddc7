using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TinTin.Core;
using TinTin.Reference;

namespace TinTin.Experiments
{
    /// <summary>One budget of the study: a fraction of the full update, in bytes and MACs (per seed: the models differ in nothing that changes the cost).</summary>
    public sealed class StudyBudget
    {
        /// <summary>"12.5" … "100" (percent) or "profile".</summary>
        public string Label { get; init; }
        public double Fraction { get; init; }
        public int Bytes { get; set; }
        public long Macs { get; set; }
    }

    /// <summary>One selection at one budget: per-seed results.</summary>
    public sealed class StudyCell
    {
        public string Selection { get; init; }
        public string Budget { get; init; }
        public double[] Accuracy { get; init; }
        public double[] BalancedAccuracy { get; init; }
        /// <summary>Bytes and update MACs of the final selection as a fraction of the full update's (per seed).</summary>
        public double[] BytesFraction { get; init; }
        public double[] MacsFraction { get; init; }
        public int[] SelectedChannels { get; init; }
        /// <summary>[seed][parameter layer, bottom to top] the final selection's channels per layer.</summary>
        public int[][] SelectedPerLayer { get; init; }
        /// <summary>Re-selections and samples scored for them over the stream (per seed): the cost of choosing.</summary>
        public int[] Reselections { get; init; }
        public long[] ScoredSamples { get; init; }
        /// <summary>MACs of the look-ahead fill's trial steps and loss evaluations over the stream (per seed; 0 without it): a cost of choosing beside the scoring.</summary>
        public long[] LookAheadMacs { get; init; }
        public double MeanAccuracy => Accuracy.Average();
        public double MeanBalancedAccuracy => BalancedAccuracy.Average();
    }

    public sealed class SelectionStudyResult
    {
        public string Stream { get; init; }
        public string Model { get; init; }
        public string Profile { get; init; }
        public int[] Seeds { get; init; }
        public string Reference { get; init; }
        public string[] Selections { get; init; }
        public int FullBytes { get; set; }
        public long FullUpdateMacs { get; set; }
        /// <summary>batch · forward MACs: part of every update whatever is selected; budgets scale only the rest.</summary>
        public long ForwardMacsPerUpdate { get; set; }
        public int ProfileBudgetBytes { get; set; }
        /// <summary>What the profile's byte budget subtracts from heap − firmware reserve (ContinualLearner.StaticBytes), in parts.</summary>
        public int HeapLeftBytes { get; set; }
        public int ModelBytes { get; set; }
        public int ScratchBytes { get; set; }
        public int LearnerBytes { get; set; }
        /// <summary>Of LearnerBytes: the history ring and the replay buffer (they scale with the inputs, i.e. the window).</summary>
        public int HistoryBytes { get; set; }
        public int ReplayBytes { get; set; }
        public long ProfileBudgetMacs { get; set; }
        public int UpdateAllowanceMs { get; init; }
        public List<StudyBudget> Budgets { get; } = new();
        public double[] FrozenAccuracy { get; init; }
        public double[] FullAccuracy { get; init; }
        public double[] FrozenBalancedAccuracy { get; init; }
        public double[] FullBalancedAccuracy { get; init; }
        /// <summary>Repeating the last pressed label (no learning at all), same presses.</summary>
        public double[] LastLabelAccuracy { get; init; }
        public double[] LastLabelBalancedAccuracy { get; init; }
        public List<StudyCell> Cells { get; } = new();
        /// <summary>Per budget, reference − each other selection.</summary>
        public Dictionary<string, List<PairedComparison>> Comparisons { get; } = new();
        public StudyCell Cell(string selection, string budget) => Cells.First(c => c.Selection == selection && c.Budget == budget);
    }

    /// <summary>
    /// Every selection criterion at equal byte and MAC budgets over seeds 1..N, paired by seed (same
    /// pre-trained model, button presses and budget): the harness every change to the selector is
    /// judged by. A budget at fraction f of the full update allows f × the full update's backward
    /// bytes and batch·forward + f × (the full update's MACs − batch·forward) MACs per update (the
    /// forwards run whatever is selected; a fraction of them would leave nothing to select).
    /// "profile": the bytes the board profile leaves after the firmware reserve and the model and
    /// learner buffers, and the MACs an update may spend in the allowance (ms) at the profile's
    /// clock and cycles per MAC.
    /// </summary>
    public static class SelectionStudy
    {
        public static SelectionStudyResult Run(ExperimentOptions options, TextWriter output)
        {
            options.Validate();
            output ??= TextWriter.Null;
            string[] selections = options.Selections ?? ExperimentOptions.AllSelections;
            if (!selections.Contains(options.Reference)) selections = new[] { options.Reference }.Concat(selections).ToArray();
            int n = options.Seeds;
            DeviceProfile profile = DeviceProfile.ByName(options.Profile);
            var budgets = options.Fractions.Select(f => new StudyBudget { Label = f.TrimEnd('%'), Fraction = ExperimentOptions.ParseFraction(f) }).ToList();
            var acc = new Dictionary<(string, string), (double[] acc, double[] bal, double[] bf, double[] mf, int[] ch, int[] re, long[] sc, int[][] layers, long[] la)>();
            foreach (string s in selections) foreach (StudyBudget b in budgets) acc[(s, b.Label)] = (new double[n], new double[n], new double[n], new double[n], new int[n], new int[n], new long[n], new int[n][], new long[n]);
            var frozen = new double[n]; var full = new double[n]; var frozenBal = new double[n]; var fullBal = new double[n];
            var lastLabel = new double[n]; var lastLabelBal = new double[n];
            SelectionStudyResult result = null;
            for (int i = 0; i < n; i++)
            {
                ExperimentOptions o = options.WithSeed(options.FirstSeed + i);
                PrequentialExperiment.PreparedSeed seed = PrequentialExperiment.Prepare(o);
                int[] chunks = seed.Result.ChunkStarts;
                if (result == null)
                {
                    result = new SelectionStudyResult
                    {
                        Stream = Path.GetFileName(o.StreamPath ?? o.DataPath),
                        Model = seed.Description,
                        Profile = profile.Name,
                        Seeds = Enumerable.Range(options.FirstSeed, n).ToArray(),
                        Reference = options.Reference,
                        Selections = selections,
                        UpdateAllowanceMs = options.UpdateAllowanceMs,
                        FrozenAccuracy = frozen, FullAccuracy = full, FrozenBalancedAccuracy = frozenBal, FullBalancedAccuracy = fullBal,
                        LastLabelAccuracy = lastLabel, LastLabelBalancedAccuracy = lastLabelBal,
                    };
                    MeasureFull(seed.Pretrained, seed.Stream, o, profile, result);
                    foreach (StudyBudget b in budgets)
                    {
                        if (b.Fraction == 0) { b.Bytes = result.ProfileBudgetBytes; b.Macs = result.ProfileBudgetMacs; }
                        else
                        {
                            b.Bytes = (int)Math.Floor(b.Fraction * result.FullBytes);
                            b.Macs = result.ForwardMacsPerUpdate + (long)Math.Floor(b.Fraction * (result.FullUpdateMacs - result.ForwardMacsPerUpdate));
                        }
                        result.Budgets.Add(b);
                    }
                    output.WriteLine($"selection study: {result.Model}{(o.ModelPath != null ? " (" + Path.GetFileName(o.ModelPath) + ", every seed)" : "")} on {result.Stream}, seeds {options.FirstSeed}..{options.FirstSeed + n - 1}, {profile.Name} profile; full update {result.FullBytes} B backward, " +
                        $"{result.FullUpdateMacs} MACs per update of {o.BatchSize} (of which {result.ForwardMacsPerUpdate} forward)");
                }
                StrategyResult none = PrequentialExperiment.RunStream("none", UpdatePolicy.None, SelectionCriterion.Fisher, 0, 0, seed.Pretrained, seed.Stream, seed.Events, o, chunks);
                StrategyResult all = PrequentialExperiment.RunStream("full", UpdatePolicy.Full, SelectionCriterion.Fisher, 0, 0, seed.Pretrained, seed.Stream, seed.Events, o, chunks);
                StrategyResult repeat = PrequentialExperiment.RunBaseline("last-label", seed.Pretrained, seed.Stream, seed.Events, chunks);
                lastLabel[i] = 100 * repeat.Accuracy; lastLabelBal[i] = 100 * repeat.BalancedAccuracy;
                frozen[i] = 100 * none.Accuracy; frozenBal[i] = 100 * none.BalancedAccuracy;
                full[i] = 100 * all.Accuracy; fullBal[i] = 100 * all.BalancedAccuracy;
                foreach (StudyBudget b in budgets)
                    foreach (string s in selections)
                    {
                        SelectionCriterion criterion = SelectionSpec.Criterion(s);
                        StrategyResult r = PrequentialExperiment.RunStream(s, UpdatePolicy.Sparse, criterion, b.Bytes, b.Macs, seed.Pretrained, seed.Stream, seed.Events, SelectionSpec.Apply(s, o), chunks);
                        var cell = acc[(s, b.Label)];
                        cell.acc[i] = 100 * r.Accuracy;
                        cell.bal[i] = 100 * r.BalancedAccuracy;
                        cell.bf[i] = (double)r.SelectedBytes / result.FullBytes;
                        cell.mf[i] = (double)(r.SelectedUpdateMacs - result.ForwardMacsPerUpdate) / (result.FullUpdateMacs - result.ForwardMacsPerUpdate);
                        cell.ch[i] = r.SelectedChannels;
                        cell.re[i] = r.Reselections;
                        cell.sc[i] = r.ScoredSamples;
                        cell.la[i] = r.LookAheadMacs;
                        cell.layers[i] = r.SelectedPerLayer;
                    }
            }
            foreach (StudyBudget b in budgets)
            {
                foreach (string s in selections)
                {
                    var c = acc[(s, b.Label)];
                    result.Cells.Add(new StudyCell { Selection = s, Budget = b.Label, Accuracy = c.acc, BalancedAccuracy = c.bal, BytesFraction = c.bf, MacsFraction = c.mf, SelectedChannels = c.ch, SelectedPerLayer = c.layers, Reselections = c.re, ScoredSamples = c.sc, LookAheadMacs = c.la });
                }
                result.Comparisons[b.Label] = selections.Where(s => s != options.Reference)
                    .Select(s => PairedComparison.Of(options.Reference, s, acc[(options.Reference, b.Label)].acc, acc[(s, b.Label)].acc)).ToList();
            }
            Print(result, output);
            if (options.JsonPath != null && !options.JsonToStandardOutput) WriteJson(result, options.JsonPath, output);
            return result;
        }

        /// <summary>Cost of the full update and the profile's default budget, from a learner on the pre-trained model.</summary>
        private static void MeasureFull(byte[] pretrained, SensorDataset stream, ExperimentOptions o, DeviceProfile profile, SelectionStudyResult result)
        {
            Model model = ModelFile.Load(pretrained, pretrained.Length, -1, false);
            var learner = new ContinualLearner(model, new ContinualConfig
            {
                HistorySamples = o.HistorySamples, ReplayCapacity = o.ReplayCapacity, BatchSize = o.BatchSize,
                MaxUpdatesPerMinute = o.MaxUpdatesPerMinute, Policy = UpdatePolicy.Full, Profile = profile,
                WindowRows = PrequentialExperiment.WindowRowsFor(o, stream), WindowTimeMajor = o.HasConv,
            });
            result.FullBytes = learner.Selector.SelectedBytes;
            result.FullUpdateMacs = learner.Selector.SelectedUpdateMacs;
            result.ForwardMacsPerUpdate = (long)o.BatchSize * model.Network.ForwardMacs();
            result.ProfileBudgetBytes = learner.BudgetBytes; // heap − firmware reserve − weights, masters, scratch, learner buffers
            result.ProfileBudgetMacs = MacsWithin(profile, o.UpdateAllowanceMs);
            MemoryPlan plan = model.Network.DescribeMemory();
            result.HeapLeftBytes = profile.HeapBytes - profile.ReservedBytes;
            result.ModelBytes = plan.BytesIn(MemoryCategory.Weights) + plan.BytesIn(MemoryCategory.MasterWeights);
            result.ScratchBytes = plan.BytesIn(MemoryCategory.Scratch);
            result.LearnerBytes = learner.LearnerBytes;
            result.HistoryBytes = learner.History.Bytes;
            result.ReplayBytes = learner.Replay.Data.Length;
        }

        /// <summary>MACs the profile's board runs in so many milliseconds (the profile's own rule, DeviceProfile.TrainingBudgetMacs).</summary>
        public static long MacsWithin(DeviceProfile profile, int milliseconds) => profile.WithUpdateAllowance(milliseconds).TrainingBudgetMacs();

        // ---- output --------------------------------------------------------------------------------

        private static string F1(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        private static string F2(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
        private static string P(double p) => double.IsNaN(p) ? "-" : p < 0.001 ? "<0.001" : p.ToString("0.000", CultureInfo.InvariantCulture);
        private static double Sd(double[] v) { double m = v.Average(); return v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1)) : 0; }

        public static void Print(SelectionStudyResult r, TextWriter w)
        {
            w.WriteLine($"{r.Profile} heap − firmware reserve {r.HeapLeftBytes} B − weights and masters {r.ModelBytes} B − scratch {r.ScratchBytes} B − learner {r.LearnerBytes} B " +
                $"(history {r.HistoryBytes} B, replay {r.ReplayBytes} B) = {r.HeapLeftBytes - r.ModelBytes - r.ScratchBytes - r.LearnerBytes} B for the backward pass");
            w.WriteLine($"budgets (fraction of the full update: backward bytes; MACs beyond the batch's forwards), profile = {r.Profile} heap left and {r.UpdateAllowanceMs} ms per update:");
            foreach (StudyBudget b in r.Budgets)
            {
                string note = b.Bytes >= r.FullBytes && b.Macs >= r.FullUpdateMacs ? "   (the full update fits: not sparse)"
                    : b.Macs > 0 && b.Macs <= r.ForwardMacsPerUpdate ? "   (the batch's forwards alone exceed it: nothing can train)"
                    : $"   ({Math.Min(100.0 * b.Bytes / r.FullBytes, 100.0 * (b.Macs - r.ForwardMacsPerUpdate) / (r.FullUpdateMacs - r.ForwardMacsPerUpdate)):0.#} % of the full update; binds on {(100.0 * b.Bytes / r.FullBytes <= 100.0 * (b.Macs - r.ForwardMacsPerUpdate) / (r.FullUpdateMacs - r.ForwardMacsPerUpdate) ? "bytes" : "MACs")})";
                w.WriteLine($"  {b.Label,-8} {b.Bytes,8} B {b.Macs,10} MACs/update{note}");
            }
            w.WriteLine($"no update (frozen): {F1(r.FrozenAccuracy.Average())} % (balanced {F1(r.FrozenBalancedAccuracy.Average())});  full update: {F1(r.FullAccuracy.Average())} % (balanced {F1(r.FullBalancedAccuracy.Average())});  last-label: {F1(r.LastLabelAccuracy.Average())} % (balanced {F1(r.LastLabelBalancedAccuracy.Average())})");
            w.WriteLine();
            w.WriteLine("prequential accuracy %, mean ± sd over seeds [balanced accuracy] {bytes used / full}");
            int width = Math.Max(12, r.Selections.Max(x => x.Length) + 1);
            var header = new StringBuilder("selection".PadRight(width));
            foreach (StudyBudget b in r.Budgets) header.Append($"{(b.Label == "profile" ? "profile" : b.Label + " %"),28}");
            w.WriteLine(header.ToString());
            foreach (string s in r.Selections)
            {
                var line = new StringBuilder(s.PadRight(width));
                foreach (StudyBudget b in r.Budgets)
                {
                    StudyCell c = r.Cell(s, b.Label);
                    line.Append($"{F1(c.MeanAccuracy) + "±" + F1(Sd(c.Accuracy)) + " [" + F1(c.MeanBalancedAccuracy) + "] {" + F2(c.BytesFraction.Average()) + "}",28}");
                }
                w.WriteLine(line.ToString());
            }
            w.WriteLine();
            w.WriteLine("final selection: trainable channels per parameter layer, bottom to top, mean over seeds");
            foreach (string s in r.Selections)
            {
                var line = new StringBuilder(s.PadRight(width));
                foreach (StudyBudget b in r.Budgets)
                {
                    int[][] perSeed = r.Cell(s, b.Label).SelectedPerLayer;
                    string counts = string.Join("/", Enumerable.Range(0, perSeed[0].Length).Select(k => F1(perSeed.Average(x => x[k]))));
                    line.Append($"{counts,28}");
                }
                w.WriteLine(line.ToString());
            }
            w.WriteLine();
            w.WriteLine("cost of choosing, mean per run over budgets and seeds: re-selections, samples scored (one error-only forward + backward each)");
            foreach (string s in r.Selections)
            {
                var cells = r.Budgets.Select(b => r.Cell(s, b.Label)).ToList();
                double lookAhead = cells.Average(c => c.LookAheadMacs == null ? 0 : c.LookAheadMacs.Average());
                w.WriteLine($"  {s.PadRight(width)} {cells.Average(c => c.Reselections.Average()),6:0.0} re-selections {cells.Average(c => c.ScoredSamples.Average()),8:0} samples scored"
                    + (lookAhead > 0 ? $" {lookAhead,10:0} look-ahead MACs (trial steps and loss evaluations)" : ""));
            }
            w.WriteLine();
            w.WriteLine($"paired differences {r.Reference} − selection, accuracy points over {r.Seeds.Length} seeds: mean [95 % t CI] wins/losses/ties, paired t-test p, exact sign-flip p");
            foreach (StudyBudget b in r.Budgets)
                foreach (PairedComparison c in r.Comparisons[b.Label])
                    w.WriteLine($"  {b.Label,-8} vs {c.Baseline.PadRight(width)} {(c.Mean >= 0 ? "+" : "") + F2(c.Mean),7} [{F2(c.CiLow),6}, {F2(c.CiHigh),6}]  {c.Wins}/{c.Losses}/{c.Ties}  t p={P(c.TTestP)}  sign-flip p={P(c.PermutationP)}");
        }

        public static void WriteJson(SelectionStudyResult r, string path, TextWriter w)
        {
            JsonReport.WriteFile(path, r);
            w.WriteLine($"wrote {path}");
        }
    }
}
