using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinTin.Firmware;
using TinTin.Fleet;
using TinTin.Reference;
using TinTin.VirtualBoard;

namespace TinTin.FleetHost
{
    public sealed class VirtualFleetOptions
    {
        public int Boards { get; set; } = 4;
        /// <summary>"rotated" (default), "disjoint" or "recordings": see <see cref="VirtualFleet.DefaultSpecs"/>.</summary>
        public string Layout { get; set; } = "rotated";
        /// <summary>Board streams; null: <see cref="VirtualFleet.DefaultSpecs"/>.</summary>
        public IReadOnlyList<BoardSpec> Specs { get; set; }
        /// <summary>A board publishes its update after so many new labelled samples (the firmware's FleetSettings.PublishEveryLabels).</summary>
        public int PublishEveryLabels { get; set; } = 32;
        /// <summary>The aggregator merges after so many accepted updates (0: one per board, as `tintin fleet serve`).</summary>
        public int MergeEvery { get; set; }
        /// <summary>Stop every board after so many rows (0: all).</summary>
        public int MaxSamples { get; set; }
        /// <summary>The model every board starts from (and the aggregator's version 0); null: the firmware's embedded default (DefaultModel.g.cs, 6-48-24-2), the model `tintin simulate` runs.</summary>
        public PreparedModel Model { get; set; }
        public string Board { get; set; } = "esp32-devkit";
        /// <summary>Labelled samples a merged model is judged on before it stays (FleetSettings.TrialSamples).</summary>
        public int TrialSamples { get; set; } = 32;
        /// <summary>Trial scaled to the board's label rate (FleetSettings.TrialLabelRatePerMille; 0: off). Default: the fleet's (FleetDefaults).</summary>
        public int TrialLabelRate { get; set; } = FleetDefaults.TrialLabelRate;
        /// <summary>Fewest labels a trial scaled to the label rate lasts (FleetSettings.TrialMinimumLabels).</summary>
        public int TrialMinimumLabels { get; set; } = 8;
        /// <summary>Accuracy drop tolerated in a trial, per mille.</summary>
        public int TolerancePerMille { get; set; } = 30;
        public bool Blend { get; set; } = true;
        /// <summary>Stored labelled samples a merged model may get wrong beyond the board's own model (FleetSettings.ReplayTolerance).</summary>
        public int ReplayTolerance { get; set; } = 1;
        public bool ReplayCheck { get; set; } = true;
        /// <summary>Recently labelled samples a merged model may get wrong beyond the board's own model (FleetSettings.HistoryTolerance; negative: no history check).</summary>
        public int HistoryTolerance { get; set; } = 0;
        /// <summary>Paired trial tolerance (FleetSettings.PairedTolerance).</summary>
        public int PairedTolerance { get; set; } = 1;
        /// <summary>Boards keep their own last layer (FleetSettings.KeepOwnHead).</summary>
        public bool KeepOwnHead { get; set; } = true;
        /// <summary>The board's own labels count this many times in its blend (FleetSettings.OwnWeightFactor).</summary>
        public int OwnWeightFactor { get; set; } = 2;
        /// <summary>The fleet's model is a challenger beside each board's own (FleetSettings.Challenger); false: boards take merged models.</summary>
        public bool Challenger { get; set; }
        /// <summary>FleetSettings.ChallengerThreshold.</summary>
        public int ChallengerThreshold { get; set; } = 2;
        /// <summary>FleetSettings.ChallengerCap.</summary>
        public int ChallengerCap { get; set; } = 4;
        /// <summary>FleetSettings.AgreementBudget (negative: no agreement check).</summary>
        public int AgreementBudget { get; set; } = -1;
        /// <summary>FleetSettings.AgreementHalvings.</summary>
        public int AgreementHalvings { get; set; }
        /// <summary>FleetSettings.AgreementEvidence.</summary>
        public int AgreementEvidence { get; set; }
        /// <summary>
        /// Similarity-weighted merge (docs/experiments/fleet.md): null (one merge for all, the default before session 14), "recent"
        /// (each board's input means over its last ~128 samples; a host experiment) or "all" (over every sample so far; the
        /// default, FleetDefaults); the aggregator merges for each board with every contributor weighted by labelled samples ·
        /// max(0, W − d) / W, d the L1 distance of the two boards' per-feature input means (int8 input units), W = SimilarityWidth.
        /// </summary>
        public string SimilarityWindow { get; set; } = FleetDefaults.SimilarityWindow;
        public int SimilarityWidth { get; set; } = FleetDefaults.SimilarityWidth;
        /// <summary>The kernel reads each board's statistics as of its last published update (as a protocol carrying them would), not as of the merge.</summary>
        public bool SimilarityAtPublish { get; set; }
        /// <summary>
        /// The protocol: every board sends its signed input statistics (FleetMessage kind 3) every so many samples, label or not
        /// (FleetSettings.StatsEverySamples), and the aggregator's kernel reads the verified messages (FleetAggregator.SimilarityWidth;
        /// `all` only: the message carries means over every sample). 0: no statistics messages (with a per-board merge: the host
        /// experiment, the kernel reads each board's means as of the merge).
        /// </summary>
        public int SimilarityStatsEvery { get; set; } = FleetDefaults.StatsEverySamples;

        /// <summary>
        /// Label-prior kernel (host experiment, docs/experiments/fleet.md session 8): per-board merges weight every contributor also by
        /// max(0, P − |p_r − p_c|)·1024/P, p a board's share of "occupied" among its presses so far (as of its last message),
        /// shrunk towards the fleet's pooled share by <see cref="LabelPriorStrength"/> pseudo-presses; P in per mille. 0: off.
        /// With the statistics protocol (SimilarityByMessages) it multiplies the input kernel and reads each board's class
        /// counts (labelled samples, K pseudo-samples) from its verified statistics messages (FleetAggregator.LabelKernelWidth);
        /// alone it is the only kernel, on the host's record of presses.
        /// </summary>
        public int LabelKernelWidth { get; set; } = FleetDefaults.LabelKernelWidth;
        /// <summary>Pseudo-presses at the fleet's pooled share added to a board's own presses (a few labels say little).</summary>
        public int LabelPriorStrength { get; set; } = FleetDefaults.LabelPriorStrength;
        /// <summary>FleetAggregator.OwnShareSkipPerMille (per-board merges only; the one merge for all ignores it).</summary>
        public int OwnShareSkip { get; set; } = FleetDefaults.OwnShareSkip;
        /// <summary>FleetAggregator.ReceiverRelaxSamples (per-board merges on the statistics messages only).</summary>
        public int ReceiverRelax { get; set; }
        /// <summary>FleetAggregator.ReceiverRelaxLabelSamples: relax the label kernel only (statistics messages and the label kernel only).</summary>
        public int ReceiverRelaxLabels { get; set; } = FleetDefaults.ReceiverRelaxLabels;
        /// <summary>FleetAggregator.ReceiverRelaxInputSamples: relax the input kernel only (statistics messages and the label kernel only).</summary>
        public int ReceiverRelaxInputs { get; set; }
        /// <summary>Measurement: record every per-board merge's kernels (FleetAggregator.KernelSeen) and report their means per (receiver, contributor) in the result's kernels.</summary>
        public bool TraceKernels { get; set; }

        /// <summary>The similarity merge runs on the boards' statistics messages (not on the host's view of the boards).</summary>
        public bool SimilarityByMessages => SimilarityWindow != null && SimilarityStatsEvery > 0 && !SimilarityAtPublish;
        /// <summary>Seed of the virtual people (and the learners): 0 the default streams' seeds, others shift every board's seed.</summary>
        public int Seed { get; set; }
        /// <summary>Carries the messages (null: an in-memory hub). E.g. the MQTT transports.</summary>
        public Func<FleetConfig, string, IFleetTransport> Transport { get; set; }
        /// <summary>The aggregator (config, version 0, merge every N updates); with a network transport it must publish its merges itself (AggregatorService).</summary>
        public Func<FleetConfig, ParameterSet, int, FleetAggregator> AggregatorFactory { get; set; }
    }

    public sealed class FleetBoardResult
    {
        [JsonPropertyName("name")] public string Name { get; init; }
        [JsonPropertyName("stream")] public string Stream { get; init; }
        [JsonPropertyName("label_fraction")] public double LabelFraction { get; init; }
        [JsonPropertyName("samples")] public long Samples { get; init; }
        [JsonPropertyName("labelled")] public long Labelled { get; init; }
        [JsonPropertyName("isolated_accuracy")] public double IsolatedAccuracy { get; init; }
        [JsonPropertyName("fleet_accuracy")] public double FleetAccuracy { get; init; }
        [JsonPropertyName("isolated_balanced_accuracy")] public double IsolatedBalancedAccuracy { get; init; }
        [JsonPropertyName("fleet_balanced_accuracy")] public double FleetBalancedAccuracy { get; init; }
        [JsonPropertyName("frozen_accuracy")] public double FrozenAccuracy { get; init; }
        [JsonPropertyName("majority_accuracy")] public double MajorityAccuracy { get; init; }
        [JsonPropertyName("bytes_sent")] public long BytesSent { get; init; }
        [JsonPropertyName("bytes_received")] public long BytesReceived { get; init; }
        [JsonPropertyName("updates_sent")] public int UpdatesSent { get; init; }
        /// <summary>Input statistics messages the board sent (FleetMessage kind 3; counted in bytes_sent too).</summary>
        [JsonPropertyName("stats_sent")] public int StatsSent { get; init; }
        [JsonPropertyName("merges_taken")] public int MergesTaken { get; init; }
        [JsonPropertyName("merges_declined")] public int MergesDeclined { get; init; }
        [JsonPropertyName("merges_rolled_back")] public int MergesRolledBack { get; init; }
        /// <summary>Per-board merges the aggregator did not send this board: at least the own-share skip's share of them was its own update.</summary>
        [JsonPropertyName("merges_held_back")] public int MergesHeldBack { get; init; }
        /// <summary>Declined merges by the check that declined them: the stored labelled samples (replay buffer), the recently labelled history (both can).</summary>
        [JsonPropertyName("declined_on_stored")] public int DeclinedOnStored { get; init; }
        [JsonPropertyName("declined_on_history")] public int DeclinedOnHistory { get; init; }
        [JsonPropertyName("messages_refused")] public int MessagesRefused { get; init; }
        /// <summary>Agreement budget: takes with a smaller step towards the blend, and blends declined because they changed too many predictions.</summary>
        [JsonPropertyName("merges_narrowed")] public int MergesNarrowed { get; init; }
        [JsonPropertyName("agreement_declined")] public int AgreementDeclined { get; init; }
        /// <summary>Challenger mode: samples the board answered with the fleet's model, and labelled samples (what the board scores) only it (only the board's own) got right.</summary>
        [JsonPropertyName("challenger_answered")] public long ChallengerAnswered { get; init; }
        [JsonPropertyName("challenger_only_right")] public int ChallengerOnlyRight { get; init; }
        [JsonPropertyName("own_only_right")] public int OwnOnlyRight { get; init; }
        /// <summary>Challenger mode, the measurement over every sample (truth the board never sees): only the challenger (only the board's own) right.</summary>
        [JsonPropertyName("challenger_only_right_all")] public long ChallengerOnlyRightAll { get; init; }
        [JsonPropertyName("own_only_right_all")] public long OwnOnlyRightAll { get; init; }
        /// <summary>Take mode: the host's estimate of a shadow own-only learner beside the fleet's (ShadowEstimate), one accuracy per (threshold, cap) of VirtualFleet.ShadowGrid.</summary>
        [JsonPropertyName("shadow")] public List<ShadowResult> Shadow { get; init; }
    }

    public sealed class ShadowResult
    {
        [JsonPropertyName("threshold")] public int Threshold { get; init; }
        [JsonPropertyName("cap")] public int Cap { get; init; }
        [JsonPropertyName("accuracy")] public double Accuracy { get; init; }
    }

    /// <summary>Quartiles of the distances a similarity kernel saw (docs/experiments/fleet.md: the widths W are chosen from them).</summary>
    public sealed class DistanceSummary
    {
        [JsonPropertyName("count")] public int Count { get; init; }
        [JsonPropertyName("q1")] public double Q1 { get; init; }
        [JsonPropertyName("median")] public double Median { get; init; }
        [JsonPropertyName("q3")] public double Q3 { get; init; }
        /// <summary>Every distance seen, in order, in 1/256 input units (to pool several runs' quartiles).</summary>
        [JsonPropertyName("values_256")] public long[] Values256 { get; init; }

        /// <summary>Distances in 1/256 input units; quartiles by the nearest rank (null: none seen).</summary>
        public static DistanceSummary Of(List<long> distances256)
        {
            if (distances256.Count == 0) return null;
            var sorted = distances256.OrderBy(d => d).ToArray();
            double Rank(double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)] / 256.0;
            return new DistanceSummary { Count = sorted.Length, Q1 = Rank(0.25), Median = Rank(0.5), Q3 = Rank(0.75), Values256 = distances256.ToArray() };
        }
    }

    /// <summary>Means over a run's per-board merges of one contributor's kernels for one receiver (FleetAggregator.KernelTrace), each 0..1024, and its share of the merge's weight (per mille).</summary>
    public sealed class KernelSummary
    {
        [JsonPropertyName("receiver")] public string Receiver { get; init; }
        [JsonPropertyName("contributor")] public string Contributor { get; init; }
        [JsonPropertyName("merges")] public int Merges { get; init; }
        [JsonPropertyName("input")] public double Input { get; init; }
        [JsonPropertyName("label")] public double Label { get; init; }
        [JsonPropertyName("kernel")] public double Kernel { get; init; }
        /// <summary>The contributor's weight over the merge's total weight, per mille, averaged over the merges with any weight.</summary>
        [JsonPropertyName("weight_share")] public double WeightShare { get; init; }

        /// <summary>Traces in the order the aggregator made them: one merge is a run of one receiver's contributors.</summary>
        public static List<KernelSummary> Of(List<KernelTrace> traces)
        {
            var sums = new Dictionary<(string, string), double[]>();
            var order = new List<(string, string)>();
            int start = 0;
            for (int i = 1; i <= traces.Count; i++)
            {
                bool ends = i == traces.Count || traces[i].Receiver != traces[start].Receiver;
                for (int j = start; !ends && j < i; j++) ends = traces[j].Contributor == traces[i].Contributor;
                if (!ends) continue;
                long total = 0;
                for (int j = start; j < i; j++) total += traces[j].Weight;
                for (int j = start; j < i; j++)
                {
                    KernelTrace t = traces[j];
                    var key = (t.Receiver, t.Contributor);
                    if (!sums.TryGetValue(key, out double[] a)) { sums[key] = a = new double[6]; order.Add(key); }
                    a[0]++; a[1] += t.Input; a[2] += t.Label; a[3] += t.Kernel;
                    if (total > 0) { a[4] += 1000.0 * t.Weight / total; a[5]++; }
                }
                start = i;
            }
            return order.Select(k =>
            {
                double[] a = sums[k];
                return new KernelSummary
                {
                    Receiver = k.Item1, Contributor = k.Item2, Merges = (int)a[0], Input = Math.Round(a[1] / a[0], 1), Label = Math.Round(a[2] / a[0], 1),
                    Kernel = Math.Round(a[3] / a[0], 1), WeightShare = a[5] > 0 ? Math.Round(a[4] / a[5], 1) : 0,
                };
            }).ToList();
        }
    }

    public sealed class FleetSimulationResult
    {
        [JsonPropertyName("boards")] public List<FleetBoardResult> Boards { get; init; } = new();
        [JsonPropertyName("merged_versions")] public uint MergedVersions { get; init; }
        [JsonPropertyName("publish_every_labels")] public int PublishEveryLabels { get; init; }
        [JsonPropertyName("merge_every")] public int MergeEvery { get; init; }
        [JsonPropertyName("layout")] public string Layout { get; init; }
        /// <summary>Where the boards' starting model came from (a file, or the firmware's embedded default).</summary>
        [JsonPropertyName("model")] public string Model { get; init; }
        /// <summary>With a similarity merge: the input-mean distances (int8 input units, L1) the kernel saw between two boards that both had statistics.</summary>
        [JsonPropertyName("similarity_distances")] public DistanceSummary SimilarityDistances { get; init; }
        /// <summary>With --trace-kernels: per (receiver, contributor) the mean kernels of the per-board merges (null otherwise, then not written).</summary>
        [JsonPropertyName("kernels")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public List<KernelSummary> Kernels { get; init; }

        public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

        public string Format()
        {
            static string P(double v) => (v * 100).ToString("F1", CultureInfo.InvariantCulture).PadLeft(5);
            var w = new StringBuilder();
            w.AppendLine($"virtual fleet ({Layout} layout): {Boards.Count} boards running the firmware's fleet link, an update every {PublishEveryLabels} labels, a merge every {MergeEvery} updates, {MergedVersions} merged versions; model: {Model}");
            if (SimilarityDistances != null)
                w.AppendLine(string.Format(CultureInfo.InvariantCulture, "similarity kernel: {0} input-mean distances between boards with statistics, quartiles {1:0.#} / {2:0.#} / {3:0.#} (int8 input units, L1)",
                    SimilarityDistances.Count, SimilarityDistances.Q1, SimilarityDistances.Median, SimilarityDistances.Q3));
            w.AppendLine("board     labelled  accuracy: isolated  fleet   (balanced: isolated  fleet)  frozen  majority   sent B  recv B  taken/declined/rolled back");
            foreach (FleetBoardResult b in Boards)
                w.AppendLine($"{b.Name,-9} {b.Labelled,8}            {P(b.IsolatedAccuracy)} %  {P(b.FleetAccuracy)} %            {P(b.IsolatedBalancedAccuracy)} %  {P(b.FleetBalancedAccuracy)} %  {P(b.FrozenAccuracy)} %  {P(b.MajorityAccuracy)} %  {b.BytesSent,7} {b.BytesReceived,7}  {b.MergesTaken}/{b.MergesDeclined}/{b.MergesRolledBack}");
            foreach (FleetBoardResult b in Boards)
                w.AppendLine($"  {b.Name}: {b.Stream}, label fraction {b.LabelFraction.ToString("0.####", CultureInfo.InvariantCulture)}, {b.Samples} samples predicted"
                    + (b.MergesHeldBack > 0 ? $"; {b.MergesHeldBack} merges held back (mostly its own update)" : ""));
            return w.ToString();
        }
    }

    /// <summary>
    /// `tintin fleet simulate`: N virtual boards (the firmware on replayed data) run twice on the
    /// same streams with the same virtual people: alone, and in a fleet. In the fleet every board
    /// runs the firmware's own fleet code (FleetLink in FirmwareApp's loop): it publishes after
    /// PublishEveryLabels new labels, takes merged models at its safe point (checkpoint, blend,
    /// check on its stored labels, trial, rollback); the aggregator merges after MergeEvery updates
    /// and its merged model reaches every board before the next sample is read (lockstep, so the
    /// in-memory and MQTT runs give the same result). Accuracy is prequential (each sample predicted
    /// before any label for it), on every sample with known truth.
    /// </summary>
    public static class VirtualFleet
    {
        public static readonly string[] Layouts = { "rotated", "disjoint", "recordings" };

        /// <summary>(threshold, cap) pairs the shadow estimate is reported for (docs/experiments/fleet.md).</summary>
        public static readonly (int Threshold, int Cap)[] ShadowGrid = { (-1, 2), (0, 2), (1, 2), (2, 2), (0, 4), (1, 4), (2, 4), (4, 4), (1, 8), (2, 8), (4, 8) };

        /// <summary>
        /// The boards' streams; the label rate falls geometrically from 10 % (board 1) to 0.5 % (board N).
        /// rotated: every board replays the drift week (datatest2.txt, Feb 11–18) from its own starting
        /// point, wrapping round, like rooms of one building whose days are out of phase: at any time
        /// the boards see different stretches, and over the run each sees them all.
        /// disjoint: board 1 replays datatest.txt (Feb 2–4), boards 2..N disjoint stretches of the
        /// week: the boards never see the same conditions.
        /// recordings: board i replays recording i mod 3 (datatraining.txt Feb 4–10, datatest.txt,
        /// datatest2.txt), later rounds from the middle of the recording, wrapping round; each board
        /// runs 8,000 samples.
        /// </summary>
        public static List<BoardSpec> DefaultSpecs(int boards, string layout = "rotated", int seed = 0)
        {
            if (boards < 2 || boards > 16) throw new ArgumentException("a virtual fleet has 2 to 16 boards");
            if (Array.IndexOf(Layouts, layout) < 0) throw new ArgumentException($"unknown layout '{layout}'; known: {string.Join(", ", Layouts)}");
            string test = RepositoryPaths.Data("occupancy", "datatest.txt");
            string week = RepositoryPaths.Data("occupancy", "datatest2.txt");
            string training = RepositoryPaths.Data("occupancy", "datatraining.txt");
            int weekRows = Rows(week);
            int seedBase = 101 + 1000 * seed;
            var specs = new List<BoardSpec>();
            for (int i = 0; i < boards; i++)
            {
                double fraction = Math.Round(0.10 * Math.Pow(0.005 / 0.10, (double)i / (boards - 1)), 4);
                string name = "board" + (i + 1);
                if (layout == "rotated")
                    specs.Add(new BoardSpec { Name = name, DataPath = week, Start = i * weekRows / boards, Count = weekRows, Wrap = true, LabelFraction = fraction, Seed = seedBase + i });
                else if (layout == "recordings")
                {
                    string path = new[] { training, test, week }[i % 3];
                    int start = i / 3 % 2 * Rows(path) / 2;
                    specs.Add(new BoardSpec { Name = name, DataPath = path, Start = start, Count = 8000, Wrap = true, LabelFraction = fraction, Seed = seedBase + i });
                }
                else if (i == 0)
                    specs.Add(new BoardSpec { Name = name, DataPath = test, LabelFraction = fraction, Seed = seedBase });
                else
                {
                    int stretch = weekRows / (boards - 1);
                    specs.Add(new BoardSpec { Name = name, DataPath = week, Start = (i - 1) * stretch, Count = stretch, LabelFraction = fraction, Seed = seedBase + i });
                }
            }
            return specs;
        }

        private static int Rows(string path) => File.ReadLines(path).Count() - 1;

        public static FleetSimulationResult Run(VirtualFleetOptions options, TextWriter progress)
        {
            progress ??= TextWriter.Null;
            PreparedModel model = options.Model ?? VirtualBoardRunner.EmbeddedModel();
            IReadOnlyList<BoardSpec> specs = options.Specs ?? DefaultSpecs(options.Boards, options.Layout, options.Seed);
            int mergeEvery = options.MergeEvery > 0 ? options.MergeEvery : specs.Count;
            progress.WriteLine("isolated: " + specs.Count + " boards, each alone");
            var isolated = RunOnce(specs, model, options, mergeEvery, fleet: false, progress, out _);
            progress.WriteLine($"fleet: the same boards, each publishing after {options.PublishEveryLabels} new labels, merged after every {mergeEvery} updates");
            var distances = new List<long>();
            var kernels = options.TraceKernels ? new List<KernelTrace>() : null;
            var withFleet = RunOnce(specs, model, options, mergeEvery, fleet: true, progress, out uint versions, distances, kernels);
            var result = new FleetSimulationResult
            {
                Layout = options.Specs != null ? "custom" : options.Layout, MergedVersions = versions,
                Model = model.Source ?? model.ModelName, SimilarityDistances = DistanceSummary.Of(distances), Kernels = kernels != null ? KernelSummary.Of(kernels) : null,
                PublishEveryLabels = options.PublishEveryLabels, MergeEvery = mergeEvery,
            };
            long windowMs = new FirmwareConfig().ButtonWindowMs;
            for (int i = 0; i < specs.Count; i++)
            {
                BoardOutcome a = isolated[i], f = withFleet[i];
                List<ShadowResult> shadow = null;
                if (!options.Challenger)
                    shadow = ShadowGrid.Select(g => new ShadowResult
                    {
                        Threshold = g.Threshold, Cap = g.Cap,
                        Accuracy = f.Trace.Count == 0 ? 0 : (double)ShadowEstimate.Correct(a.Trace, f.Trace, f.Presses, windowMs, g.Threshold, g.Cap) / f.Trace.Count,
                    }).ToList();
                result.Boards.Add(new FleetBoardResult
                {
                    Name = specs[i].Name, Stream = specs[i].StreamText, LabelFraction = specs[i].LabelFraction,
                    Samples = f.Samples, Labelled = f.Labelled,
                    IsolatedAccuracy = a.Accuracy, FleetAccuracy = f.Accuracy,
                    IsolatedBalancedAccuracy = a.Balanced, FleetBalancedAccuracy = f.Balanced,
                    FrozenAccuracy = f.Frozen, MajorityAccuracy = f.Majority,
                    BytesSent = f.BytesSent, BytesReceived = f.BytesReceived, UpdatesSent = f.UpdatesSent, StatsSent = f.StatsSent,
                    MergesTaken = f.Taken, MergesDeclined = f.Declined, MergesRolledBack = f.RolledBack, MergesHeldBack = f.HeldBack, DeclinedOnStored = f.DeclinedOnStored, DeclinedOnHistory = f.DeclinedOnHistory, MessagesRefused = f.Refused, MergesNarrowed = f.Narrowed, AgreementDeclined = f.AgreementDeclined,
                    ChallengerAnswered = f.Answered, ChallengerOnlyRight = f.ChallengerOnlyRight, OwnOnlyRight = f.OwnOnlyRight, ChallengerOnlyRightAll = f.ChallengerOnlyRightAll, OwnOnlyRightAll = f.OwnOnlyRightAll, Shadow = shadow,
                });
            }
            return result;
        }

        private sealed class BoardOutcome
        {
            public long Samples, Labelled, BytesSent, BytesReceived;
            public double Accuracy, Balanced, Frozen, Majority;
            public int UpdatesSent, StatsSent, Taken, Declined, RolledBack, HeldBack, DeclinedOnStored, DeclinedOnHistory, Refused, Answered, ChallengerOnlyRight, OwnOnlyRight, Narrowed, AgreementDeclined;
            public long ChallengerOnlyRightAll, OwnOnlyRightAll;
            public List<TracedSample> Trace;
            public List<TracedPress> Presses;
        }

        private static BoardOutcome[] RunOnce(IReadOnlyList<BoardSpec> specs, PreparedModel model, VirtualFleetOptions options, int mergeEvery, bool fleet,
            TextWriter progress, out uint versions, List<long> distancesSeen = null, List<KernelTrace> kernelsSeen = null)
        {
            FleetConfig config = FleetConfig.Demo(specs.Count);
            for (int i = 0; i < specs.Count; i++) config.Boards[i].Id = specs[i].Name;
            var transports = new IFleetTransport[specs.Count];
            var boards = new List<VirtualFleetBoard>();
            FleetAggregator aggregator = null;
            InMemoryHub hub = null;
            versions = 0;
            try
            {
                if (fleet)
                {
                    using (var probe = new VirtualFleetBoard(specs[0], model, options.Board))
                    {
                        var defaultModel = new ParameterSet(probe.Network);
                        defaultModel.CopyFrom(probe.Network);
                        aggregator = options.AggregatorFactory != null ? options.AggregatorFactory(config, defaultModel, mergeEvery) : new FleetAggregator(config, defaultModel, mergeEvery);
                    }
                    if (options.Transport == null) hub = new InMemoryHub(aggregator);
                    for (int i = 0; i < specs.Count; i++)
                        transports[i] = options.Transport != null ? options.Transport(config, specs[i].Name) : hub.Connect(specs[i].Name);
                }
                for (int i = 0; i < specs.Count; i++)
                {
                    IFleetTransport transport = transports[i];
                    FleetBoard credentials = config.Boards[i];
                    boards.Add(new VirtualFleetBoard(specs[i], model, options.Board, (hw, cfg) =>
                    {
                        if (transport == null) return;
                        hw.Fleet = transport;
                        cfg.Fleet = new FleetSettings
                        {
                            BoardKey = credentials.Key, FleetKey = config.FleetKey, MaxMessageBytes = config.MaxMessageBytes,
                            PublishEveryLabels = options.PublishEveryLabels, JoinAtStart = true,
                            BoardId = specs[i].Name, StatsEverySamples = options.SimilarityByMessages ? options.SimilarityStatsEvery : 0,
                            TrialSamples = options.TrialSamples, TrialLabelRatePerMille = options.TrialLabelRate, TrialMinimumLabels = options.TrialMinimumLabels, TolerancePerMille = options.TolerancePerMille, ReplayTolerance = options.ReplayTolerance,
                            BlendWithOwn = options.Blend, CheckOnStoredLabels = options.ReplayCheck,
                            HistoryTolerance = options.HistoryTolerance, PairedTolerance = options.PairedTolerance, KeepOwnHead = options.KeepOwnHead, OwnWeightFactor = options.OwnWeightFactor,
                            Challenger = options.Challenger, ChallengerThreshold = options.ChallengerThreshold, ChallengerCap = options.ChallengerCap,
                            AgreementBudget = options.AgreementBudget, AgreementHalvings = options.AgreementHalvings, AgreementEvidence = options.AgreementEvidence,
                        };
                    }));
                    boards[^1].Trace = new List<TracedSample>();
                    boards[^1].Presses = new List<TracedPress>();
                    if (transport != null && !transport.IsConnected) throw new IOException(specs[i].Name + " could not connect to the fleet broker");
                }
                if (aggregator != null && options.SimilarityByMessages)
                {
                    if (options.SimilarityWindow != "all")
                        throw new ArgumentException("--similarity-stats-every: the statistics message carries each board's means over every sample, so only --similarity-merge all reads it");
                    aggregator.SimilarityWidth = options.SimilarityWidth;
                    aggregator.DistanceSeen = d => distancesSeen?.Add(d);
                }
                else if (aggregator != null && options.SimilarityWindow != null)
                {
                    var byName = boards.ToDictionary(b => b.Name);
                    bool snapshots = options.SimilarityAtPublish || options.SimilarityStatsEvery > 0;
                    bool recent = options.SimilarityWindow == "recent";
                    aggregator.Similarity = (receiver, contributor) =>
                    {
                        VirtualFleetBoard r = byName[receiver], c = byName[contributor];
                        long d = r == c ? -1 : InputDistance256(r, c, recent, snapshots);
                        if (d >= 0) distancesSeen?.Add(d);
                        return Kernel(r, c, recent, options.SimilarityWidth, snapshots);
                    };
                    if (hub != null && options.SimilarityAtPublish) hub.BeforeUpdate = name => byName[name].SnapshotInputs();
                    foreach (VirtualFleetBoard b in boards) b.SnapshotEvery = options.SimilarityStatsEvery;
                }
                if (aggregator != null && options.LabelKernelWidth > 0 && options.SimilarityByMessages)
                {
                    // The protocol: the class counts of the boards' verified statistics messages (labelled samples).
                    aggregator.LabelKernelWidth = options.LabelKernelWidth;
                    aggregator.LabelPriorStrength = options.LabelPriorStrength;
                }
                else if (aggregator != null && options.LabelKernelWidth > 0)
                {
                    if (hub == null) throw new ArgumentException("--label-kernel-width is a host experiment with the in-memory fleet: not with --mqtt");
                    var byName = boards.ToDictionary(b => b.Name);
                    var occupied = new Dictionary<string, long>();
                    var presses = new Dictionary<string, long>();
                    foreach (VirtualFleetBoard b in boards) { occupied[b.Name] = 0; presses[b.Name] = 0; }
                    Action<string> before = hub.BeforeUpdate;
                    hub.BeforeUpdate = name =>
                    {
                        before?.Invoke(name);
                        VirtualFleetBoard b = byName[name];
                        long now = b.Trace.Count > 0 ? b.Trace[^1].TimeMs : 0;
                        long n = 0, occ = 0;
                        foreach (TracedPress p in b.Presses) { if (p.AtMs > now) break; n++; occ += p.Label; }
                        presses[name] = n; occupied[name] = occ;
                    };
                    bool withInputs = options.SimilarityByMessages;
                    int width = options.LabelKernelWidth, strength = options.LabelPriorStrength;
                    aggregator.Similarity = (receiver, contributor) =>
                    {
                        int input = withInputs ? aggregator.StatsKernelOf(receiver, contributor) : 1024;
                        if (receiver == contributor || input == 0) return input;
                        int label = LabelPriorKernel.Between(occupied[receiver], presses[receiver], occupied[contributor], presses[contributor],
                                                             occupied.Values.Sum(), presses.Values.Sum(), strength, width);
                        return input * label / 1024;
                    };
                }
                if (aggregator != null) aggregator.OwnShareSkipPerMille = options.OwnShareSkip;
                if (aggregator != null && options.ReceiverRelax > 0)
                {
                    if (!options.SimilarityByMessages) throw new ArgumentException("--receiver-relax reads the receiver's labelled samples from its statistics messages: it needs --similarity-merge all --similarity-stats-every N");
                    aggregator.ReceiverRelaxSamples = options.ReceiverRelax;
                }
                if (aggregator != null && options.ReceiverRelaxLabels > 0)
                {
                    if (!options.SimilarityByMessages || options.LabelKernelWidth <= 0)
                        throw new ArgumentException("--receiver-relax-labels relaxes the label kernel of the statistics messages: it needs --similarity-merge all --similarity-stats-every N --label-kernel-width P");
                    aggregator.ReceiverRelaxLabelSamples = options.ReceiverRelaxLabels;
                }
                if (aggregator != null && options.ReceiverRelaxInputs > 0)
                {
                    if (!options.SimilarityByMessages || options.LabelKernelWidth <= 0)
                        throw new ArgumentException("--receiver-relax-inputs relaxes the input kernel of the statistics messages and keeps the label kernel: it needs --similarity-merge all --similarity-stats-every N --label-kernel-width P");
                    aggregator.ReceiverRelaxInputSamples = options.ReceiverRelaxInputs;
                }
                if (aggregator != null && kernelsSeen != null) aggregator.KernelSeen = kernelsSeen.Add;
                while (true)
                {
                    bool any = false;
                    foreach (VirtualFleetBoard b in boards)
                    {
                        if (options.MaxSamples > 0 && b.Samples >= options.MaxSamples) continue;
                        long published = (b.Member?.Published ?? 0) + (b.Member?.StatsPublished ?? 0);
                        any |= b.Step();
                        // Lockstep over a network: what a board published (an update or its statistics) is handled, and what it
                        // made merged and delivered, before the next board steps.
                        if (fleet && hub == null && b.Member.Published + b.Member.StatsPublished != published) Settle(aggregator, transports);
                    }
                    if (!any) break;
                }
                versions = aggregator?.Version ?? 0;
                return boards.Select(b => new BoardOutcome
                {
                    Samples = b.Samples, Labelled = b.Counters.Labelled,
                    Accuracy = b.Accuracy, Balanced = b.BalancedAccuracy, Frozen = b.FrozenAccuracy, Majority = b.MajorityAccuracy,
                    BytesSent = b.Member?.BytesSent ?? 0, BytesReceived = b.Member?.BytesReceived ?? 0, UpdatesSent = b.Member?.Published ?? 0, StatsSent = b.Member?.StatsPublished ?? 0,
                    HeldBack = aggregator != null && aggregator.Boards.TryGetValue(b.Name, out var record) ? record.HeldBack : 0,
                    Taken = b.Member?.Accepted ?? 0, Declined = b.Member?.Declined ?? 0, RolledBack = b.Member?.RolledBack ?? 0, DeclinedOnStored = b.Member?.DeclinedOnStored ?? 0, DeclinedOnHistory = b.Member?.DeclinedOnHistory ?? 0, Refused = b.Member?.Rejected ?? 0, Narrowed = b.Member?.Narrowed ?? 0, AgreementDeclined = b.Member?.AgreementDeclined ?? 0,
                    Answered = b.Advisor?.Answered ?? 0, ChallengerOnlyRight = b.Advisor?.ChallengerOnlyRight ?? 0, OwnOnlyRight = b.Advisor?.OwnOnlyRight ?? 0, ChallengerOnlyRightAll = b.ChallengerOnlyRightAll, OwnOnlyRightAll = b.OwnOnlyRightAll,
                    Trace = b.Trace, Presses = b.Presses,
                }).ToArray();
            }
            finally
            {
                foreach (IFleetTransport t in transports) t?.Disconnect();
                foreach (VirtualFleetBoard b in boards) b.Dispose();
            }
        }

        /// <summary>max(0, W − d)·1024/W, d the L1 distance of the two boards' per-feature input means (int8 units); 1024 for the board itself.</summary>
        public static int Kernel(VirtualFleetBoard receiver, VirtualFleetBoard contributor, bool recent, int width, bool atPublish = false)
        {
            if (receiver == contributor) return 1024;
            long distance = InputDistance256(receiver, contributor, recent, atPublish);
            return distance < 0 ? 0 : FleetStats.KernelOfDistance(distance, width);
        }

        /// <summary>L1 distance of the two boards' per-feature input means in 1/256 int8 input units; -1 if either has no statistics yet.</summary>
        public static long InputDistance256(VirtualFleetBoard receiver, VirtualFleetBoard contributor, bool recent, bool atPublish = false)
        {
            long[] sumR = atPublish ? receiver.PublishedInputSum : receiver.InputSum, sumC = atPublish ? contributor.PublishedInputSum : contributor.InputSum;
            int[] recentR = atPublish ? receiver.PublishedRecentMean256 : receiver.RecentMean256, recentC = atPublish ? contributor.PublishedRecentMean256 : contributor.RecentMean256;
            long countR = atPublish ? receiver.PublishedInputSamples : receiver.InputSamples, countC = atPublish ? contributor.PublishedInputSamples : contributor.InputSamples;
            if (countR == 0 || countC == 0 || sumR == null || sumC == null) return -1;
            long distance = 0;
            for (int i = 0; i < sumR.Length; i++)
            {
                long a = recent ? recentR[i] : sumR[i] * 256 / countR;
                long b = recent ? recentC[i] : sumC[i] * 256 / countC;
                distance += Math.Abs(a - b);
            }
            return distance;
        }

        /// <summary>Waits until the aggregator handled every update sent so far and every board's transport received every merged version and receipt.</summary>
        private static void Settle(FleetAggregator aggregator, IFleetTransport[] transports)
        {
            long sent = transports.Sum(t => t is MqttBoardTransport m ? m.Published : 0);
            if (!WaitFor(() => aggregator.Processed >= sent, 10_000))
                throw new IOException($"the aggregator received {aggregator.Processed} of {sent} updates within 10 s");
            foreach (IFleetTransport t in transports)
            {
                if (t is not MqttBoardTransport m) continue;
                int messages = aggregator.MessagesFor(m.Board);
                if (!WaitFor(() => m.Received >= messages, 10_000))
                    throw new IOException($"{m.Board} received {m.Received} of {messages} merged models and receipts within 10 s");
            }
        }

        private static bool WaitFor(Func<bool> condition, int timeoutMs)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (!condition())
            {
                if (watch.ElapsedMilliseconds > timeoutMs) return false;
                System.Threading.Thread.Sleep(1);
            }
            return true;
        }
    }

    /// <summary>The virtual fleet without a network: a board's publish goes to the aggregator at once, a merge it triggers to every board, and its receipt to the board.</summary>
    public sealed class InMemoryHub
    {
        private readonly FleetAggregator aggregator;
        private readonly List<InMemoryTransport> members = new();

        public InMemoryHub(FleetAggregator aggregator) { this.aggregator = aggregator; }

        public InMemoryTransport Connect(string board)
        {
            var t = new InMemoryTransport(this, board);
            members.Add(t);
            return t;
        }

        /// <summary>Called with the publishing board's name before its update reaches the aggregator.</summary>
        public Action<string> BeforeUpdate { get; set; }

        internal void Publish(string board, byte[] message)
        {
            BeforeUpdate?.Invoke(board);
            AggregatorResult result = aggregator.HandleUpdate(board, message);
            if (result.PerBoard != null)
                foreach (InMemoryTransport t in members) { if (result.PerBoard.TryGetValue(t.Board, out byte[] own)) t.Deliver(own); }
            if (result.Merged != null)
                foreach (InMemoryTransport t in members) t.Deliver(result.Merged);
            // As AggregatorService: the receipt after the models, to the publishing board only.
            if (result.Receipt != null)
                foreach (InMemoryTransport t in members) if (t.Board == board) t.Deliver(result.Receipt);
        }
    }

    /// <summary>A board's transport on the <see cref="InMemoryHub"/>.</summary>
    public sealed class InMemoryTransport : IFleetTransport
    {
        private readonly InMemoryHub hub;
        private readonly string board;
        private readonly Queue<byte[]> received = new();

        public InMemoryTransport(InMemoryHub hub, string board) { this.hub = hub; this.board = board; }
        public string Board => board;
        public bool IsConnected { get; private set; }
        public bool Connect() { IsConnected = true; return true; }
        public void Disconnect() => IsConnected = false;

        public bool PublishUpdate(byte[] message, int length)
        {
            if (!IsConnected) return false;
            hub.Publish(board, message.AsSpan(0, length).ToArray());
            return true;
        }

        public void Deliver(byte[] message) { if (IsConnected) received.Enqueue(message); }

        public int TryReceive(byte[] buffer)
        {
            if (received.Count == 0) return 0;
            byte[] m = received.Dequeue();
            if (m.Length > buffer.Length) return -1;
            m.CopyTo(buffer, 0);
            return m.Length;
        }
    }
}
