using TinTin.Firmware;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The fleet's default merge since session 14 (called T100 in docs/experiments/fleet.md; docs/FLEET.md "The default
    /// merge"): the aggregator merges for each board, weighting every contributor by labelled samples, by how alike the
    /// two boards' inputs are (their signed statistics messages) and by how alike their label shares are, and a board
    /// with few labels relaxes the label kernel; each board judges a taken model on a trial scaled to its label rate.
    /// Since session 15 a board whose merge would be mostly its own update gets none (the own-share skip, S750): on 24
    /// fresh seeds no board did worse in any layout and the fewest-label board did clearly better in three of four
    /// (docs/experiments/fleet-session15.md), where the one merge for all (the default before session 14,
    /// `--similarity-merge none --trial-label-rate 0`) left the never-occupied room 1.3–1.8 points worse.
    /// `fleet simulate`, `fleet serve` and <see cref="VirtualFleetOptions"/> read their defaults here.
    /// </summary>
    public static class FleetDefaults
    {
        /// <summary>Per-board merge on the means over every sample of the boards' statistics messages.</summary>
        public const string SimilarityWindow = "all";
        /// <summary>Input kernel width W (int8 input units, L1 over features).</summary>
        public const int SimilarityWidth = 78;
        /// <summary>Samples between a board's statistics messages: the board's own default (FleetSettings.StatsEverySamples).</summary>
        public const int StatsEverySamples = FleetSettings.DefaultStatsEverySamples;
        /// <summary>Label kernel width P (per mille of the boards' share of class 1).</summary>
        public const int LabelKernelWidth = 300;
        /// <summary>Pseudo-samples at the fleet's pooled share added to a board's own label counts.</summary>
        public const int LabelPriorStrength = 40;
        /// <summary>A receiver with n labelled samples relaxes its label kernel by R / (R + n).</summary>
        public const int ReceiverRelaxLabels = 1024;
        /// <summary>
        /// A board whose per-board merge would be at least this share (per mille) its own update gets none from that merge
        /// (FleetAggregator.OwnShareSkipPerMille; session 15's S750, docs/experiments/fleet-session15.md): a room unlike every
        /// other keeps its own model, exactly as alone.
        /// </summary>
        public const int OwnShareSkip = 750;
        /// <summary>The board's trial scaled to its label rate (FleetSettings.TrialLabelRatePerMille).</summary>
        public const int TrialLabelRate = FleetSettings.DefaultTrialLabelRatePerMille;
        /// <summary>The value of `--similarity-merge` that turns the per-board merge off: one merge for all.</summary>
        public const string OneMergeForAll = "none";
    }
}
