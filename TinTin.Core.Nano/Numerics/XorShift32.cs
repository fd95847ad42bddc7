namespace TinTin.Core
{
    /// <summary>
    /// The engine's one pseudo-random generator: xorshift32 (Marsaglia), for initialisation and
    /// replay picks. Never used for rounding (rounding is pseudo-stochastic from the discarded bits,
    /// see <see cref="QMath.PseudoStochasticShiftRight"/>). Seed 0 is replaced by 0x9E3779B9
    /// (xorshift would stay at 0).
    /// </summary>
    public sealed class XorShift32
    {
        private uint state;

        public XorShift32(uint seed)
        {
            state = seed == 0 ? 0x9E3779B9u : seed;
        }

        /// <summary>The next value (never 0).</summary>
        public uint Next()
        {
            uint x = state;
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            state = x;
            return x;
        }
    }
}
