namespace TinTin.Core
{
    /// <summary>Settings of the continual-learning loop (see <see cref="ContinualLearner"/>).</summary>
    public sealed class ContinualConfig
    {
        /// <summary>Recent normalised samples kept for late labels (int8 ring).</summary>
        public int HistorySamples = 128;
        /// <summary>
        /// Rows in the model's input window (1: the input is one feature row). With more, the model's input is
        /// WindowRows consecutive rows of InputLength / WindowRows features (laid out as <see cref="WindowTimeMajor"/>
        /// says), and the history keeps one row a sample and rebuilds windows from them (<see cref="HistoryRing"/>):
        /// rows × features bytes instead of samples × window × features. Observe still takes the whole window,
        /// which must continue the rows observed before it; the normaliser must scale every row alike.
        /// </summary>
        public int WindowRows = 1;
        /// <summary>The window's layout: false [feature][rows back, newest first] (a lagged MLP), true [oldest … newest row][feature] (a Conv1D).</summary>
        public bool WindowTimeMajor;
        /// <summary>int8 replay buffer, class-balanced reservoir sampling (each sample keeps its whole input, a window included).</summary>
        public int ReplayCapacity = 64;
        /// <summary>
        /// Replay memory horizon, in multiples of the per-class capacity (0: classic reservoir, every
        /// sample ever seen equally likely to be kept). With R &gt; 0 a new sample of a class replaces
        /// a random slot with probability at least 1/R, so old samples — wrong labels from a burst
        /// among them — fade out at a steady rate instead of staying for good.
        /// </summary>
        public int ReplayRecency = 4;
        /// <summary>Samples per update (new labelled + replay), class-balanced; at most 128.</summary>
        public int BatchSize = 8;
        /// <summary>Rate cap (0 = none).</summary>
        public int MaxUpdatesPerMinute = 6;
        /// <summary>Step size for the gradient SUMMED over the batch (the engine sums): the per-sample rate is this / BatchSize.</summary>
        public ShiftSum LearningRate = ShiftSum.FromRatio(1, 64, 3);
        /// <summary>
        /// Scale the weight step of each layer by its fan-in (<see cref="Network.SetFanInRateScaling"/>):
        /// a layer with more than <see cref="Network.ReferenceFanIn"/> inputs per channel steps by
        /// LearningRate · 2^−ceil(log2(fanIn / ReferenceFanIn)), so one rate is safe for 2 inputs and for 784.
        /// Layers with at most 16 inputs per channel (the default board model) are unchanged.
        /// </summary>
        public bool ScaleRateByFanIn = true;
        /// <summary>Backward-pass bytes budget (0 = from the profile).</summary>
        public int BudgetBytes;
        /// <summary>MACs per update budget (0 = from the profile's time allowance, DeviceProfile.TrainingBudgetMacs; long.MaxValue = unlimited).</summary>
        public long BudgetMacs;
        /// <summary>Periodic re-selection every so many updates (0 = off).</summary>
        public int ReselectEveryUpdates = 50;
        /// <summary>Integer PRNG seed for reservoir and replay picks (never for rounding).</summary>
        public uint Seed = 1;

        // ---- additions ----
        /// <summary>What updates may change (<see cref="UpdatePolicy"/>); Sparse is TinyTrain.</summary>
        public UpdatePolicy Policy = UpdatePolicy.Sparse;
        /// <summary>
        /// How a Sparse update ranks channels. Default GradMag: weight-gradient energy, which did as well
        /// as TinyTrain's Fisher potential or better in the selection study (docs/experiments/selection.md); Fisher stays an option.
        /// </summary>
        public SelectionCriterion Criterion = SelectionCriterion.GradMag;
        /// <summary>Board the learner runs on: default budget and energy estimates.</summary>
        public DeviceProfile Profile = DeviceProfile.Esp32;
        /// <summary>Labelled samples scored per re-selection (recent first, then replay); at least 1.</summary>
        public int ScoringSamples = 64;
        /// <summary>
        /// Score on the recent labelled samples only (the history ring: the labels the last updates
        /// trained on and those still pending), not on replay; replay is scored only when the history
        /// holds no labelled sample. False: recent first, replay filling up to ScoringSamples.
        /// Measured (docs/ENGINE.md "Sparse update"): recent only picks better channels and scores
        /// about 9 samples a re-selection instead of 64.
        /// </summary>
        public bool ScoreRecentOnly = true;
        /// <summary>Rank layers by the summed potential normalised by parameters and MACs (TinyTrain); false: by the summed potential alone.</summary>
        public bool NormaliseLayerScore = true;
        /// <summary>Scored selections fill by value per price (<see cref="ChannelSelector.SelectPriced"/>) instead of layer by layer.</summary>
        public bool PricedFill;
        /// <summary>
        /// The layer fill takes the layers top layer first (<see cref="ChannelSelector.LayersTopDown"/>) instead of in
        /// layer-score order; channels within a layer still by score. GradMag and Fisher only; the priced fill ignores it.
        /// On by default (issue 16 item 4, session 9, with <see cref="DriftLambdaQ8"/> 512): TinyTrain's layer-score order
        /// put a cheap low layer before the middle one, whose error propagation then spent the budget (−0.61 against
        /// topdown at 50 % on the 6-48-24-2 board model); top-first never lost more than 0.16 held out (docs/experiments/selection.md).
        /// </summary>
        public bool LayersTopDown = true;
        /// <summary>
        /// The whole-layer fill (<see cref="ChannelSelector.WholeLayerFill"/>; off by default, issue 16 item 4, session 10):
        /// the layer fill top layer first, and again with each lower layer right after the top one; the selection with the
        /// largest total value (potential · 2^−RateShift summed) is kept. GradMag and Fisher only; the priced fill ignores it.
        /// </summary>
        public bool WholeLayerFill;
        /// <summary>
        /// A label-aware switch (0 = off, the default): while the learner has had fewer than this many samples labelled
        /// (in total since start-up), a re-selection uses TinyTrain's layer-score order (as <see cref="LayersTopDown"/>
        /// false, <see cref="WholeLayerFill"/> false); from then on the configured fill. GradMag and Fisher only.
        /// </summary>
        public int LayerScoreOrderBelowLabels;
        /// <summary>
        /// The look-ahead fill (off by default; issue 16 item 4, session 11): at each scored re-selection the layer fill is
        /// run in the whole-layer fill's orders (top layer first, then each lower layer in turn right after the top one),
        /// and each candidate selection, committed within the budgets, takes one trial step on the newest labelled samples
        /// (at most BatchSize, the gradient-arena mode's <see cref="ParameterLayer.ApplyTrialStep"/>); the candidate whose
        /// step lowers the integer loss most over those samples and replay (at most ScoringSamples in all) is kept; ties:
        /// the top-first order. Undone bit for bit in the consumed gradient slots, so it needs no snapshot buffer, only
        /// BatchSize ints for the samples' slots. GradMag and Fisher only; the priced fill ignores it.
        /// </summary>
        public bool LookAheadFill;
        /// <summary>
        /// Fresh scores from every update's own backward pass (GradMag and Fisher; off by default): the update's
        /// training backward already forms the output gradient of every channel of the layers at and above the
        /// lowest trainable one, so the scorer accumulates those layers' scores there (no extra pass), replaces
        /// their scores after the update and the selector re-selects every <see cref="FreshReselectEveryUpdates"/>
        /// updates. Layers below keep the scores of the last scoring pass (periodic, drift, budget), which still runs.
        /// As the pass, with ScoreRecentOnly a round scores the batch's new labelled samples only, not its replay.
        /// </summary>
        public bool ScoreFromUpdates;
        /// <summary>With ScoreFromUpdates: re-select from the fresh scores every so many updates (0: only at the usual re-selections).</summary>
        public int FreshReselectEveryUpdates = 1;
        /// <summary>Re-select when the drift detector fires (before the next update).</summary>
        public bool ReselectOnDrift = true;
        /// <summary>Page–Hinkley parameters of the drift signal (see <see cref="DriftDetector"/>).</summary>
        public int DriftDeltaQ8 = 13;
        /// <summary>Q8 errors beyond the running rate that fire (512 ≈ 2 errors; 1024 until session 9, 2048 before session 5).</summary>
        public int DriftLambdaQ8 = 512;
        public int DriftMinSamples = 16;
    }
}
