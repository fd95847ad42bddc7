namespace TinTin.Core
{
    /// <summary>
    /// The one "align to the top exponent with guard bits" rule for accumulators that sum
    /// contributions arriving at different exponents (gradient rows, Fisher sums). The first
    /// contribution after <see cref="Reset"/> sets Exponent = its exponent − GuardBits; a later,
    /// larger one raises Exponent by the difference, and the caller shifts what it has accumulated
    /// right by the amount <see cref="Admit"/> returns (with its own rounding: the accumulators
    /// differ in width and rounding rule). A contribution then joins at
    /// <c>contributionExponent − Exponent</c> (≤ GuardBits: a left shift that cannot overflow the
    /// headroom the caller documents; negative: the caller's rounding right shift).
    /// Holds no buffers; allocates nothing after construction.
    /// </summary>
    public sealed class AlignedExponent
    {
        public readonly int GuardBits;
        /// <summary>Exponent of the accumulated values: real = value · 2^Exponent (0 while empty).</summary>
        public int Exponent;
        private int topExponent;
        private bool empty = true;

        public AlignedExponent(int guardBits)
        {
            GuardBits = guardBits;
        }

        /// <summary>True until the first contribution after <see cref="Reset"/>.</summary>
        public bool IsEmpty { get { return empty; } }

        /// <summary>Forgets the accumulated exponent (the caller clears its values).</summary>
        public void Reset()
        {
            empty = true;
            Exponent = 0;
            topExponent = 0;
        }

        /// <summary>
        /// Registers a contribution at contributionExponent. Returns the right shift (≥ 0) the caller
        /// must apply to the values accumulated so far before adding it; 0 when none is needed.
        /// </summary>
        public int Admit(int contributionExponent)
        {
            if (empty)
            {
                empty = false;
                topExponent = contributionExponent;
                Exponent = contributionExponent - GuardBits;
                return 0;
            }
            if (contributionExponent <= topExponent) return 0;
            int rescale = contributionExponent - topExponent;
            Exponent += rescale;
            topExponent = contributionExponent;
            return rescale;
        }
    }
}
