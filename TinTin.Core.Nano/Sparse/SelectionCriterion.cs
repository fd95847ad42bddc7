namespace TinTin.Core
{
    /// <summary>
    /// How a sparse update (<see cref="UpdatePolicy.Sparse"/>) chooses its channels within the budget
    /// (names: <see cref="SelectionCriterionNames"/>). Fisher is TinyTrain; the others are the
    /// baselines it is judged against. All go through the same budgeted greedy fill of
    /// <see cref="ChannelSelector"/>, so at equal budgets only the ranking differs.
    /// The learner's default (<see cref="ContinualConfig.Criterion"/>) is GradMag: in the selection
    /// study it did as well as Fisher or better at the same scoring cost (docs/experiments/selection.md); since session 9
    /// with the top-first layer fill (<see cref="ContinualConfig.LayersTopDown"/>) and drift λ 512.
    /// </summary>
    public enum SelectionCriterion
    {
        /// <summary>TinyTrain: layers by Fisher layer score (normalised by params and MACs), channels by Fisher potential (a·g)².</summary>
        Fisher = 0,
        /// <summary>Same normalised layer score and fill, but each channel scored by its weight-gradient energy g²·Σx² (the default).</summary>
        GradMag = 1,
        /// <summary>No scores: the selector's fallback order (top layer down, channels by index).</summary>
        TopDown = 2,
        /// <summary>Random layer order and random channel order, re-drawn at each re-selection (seeded).</summary>
        Random = 3,
        /// <summary>Only the first parameter layer, channels by index, as many as fit.</summary>
        FirstLayer = 4,
        /// <summary>Only the last parameter layer, channels by index, as many as fit.</summary>
        LastLayer = 5,
    }
}
