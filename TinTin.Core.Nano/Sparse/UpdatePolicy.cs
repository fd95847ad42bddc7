namespace TinTin.Core
{
    /// <summary>What an update may change (names: <see cref="UpdatePolicyNames"/>).</summary>
    public enum UpdatePolicy
    {
        /// <summary>Never update (the baseline).</summary>
        None = 0,
        /// <summary>TinyTrain: layers by Fisher score, channels by Fisher potential, within the budget.</summary>
        Sparse = 1,
        /// <summary>Every channel of every layer (ignores the budget).</summary>
        Full = 2,
        /// <summary>Every channel of the last parameter layer (ignores the budget).</summary>
        LastLayer = 3,
        /// <summary>Only the biases of every layer (TinyTL-style; ignores the budget).</summary>
        BiasOnly = 4,
    }
}
