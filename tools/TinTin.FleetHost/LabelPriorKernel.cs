using System;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The label-prior kernel of the session-8 experiment (docs/FLEET.md, `fleet simulate --label-kernel-width`): how alike
    /// two boards' labels are, from the share of "occupied" among each board's presses. A board with few presses says little,
    /// so its share is shrunk towards the fleet's pooled share by <c>strength</c> pseudo-presses:
    /// share = (occupied·1000 + strength·pooled) / (presses + strength), per mille; kernel = max(0, P − |share_r − share_c|)·1024/P.
    /// Integer arithmetic throughout (what an aggregator reading class counts from signed messages would do).
    /// </summary>
    public static class LabelPriorKernel
    {
        /// <summary>A board's share of "occupied" presses in per mille, shrunk towards <paramref name="pooledPerMille"/>.</summary>
        public static long SharePerMille(long occupied, long presses, long pooledPerMille, int strength)
        {
            if (occupied < 0 || presses < 0 || occupied > presses) throw new ArgumentException("occupied presses must be in 0..presses");
            if (strength < 0) throw new ArgumentException("the prior strength must not be negative");
            long denominator = presses + strength;
            return denominator == 0 ? pooledPerMille : (occupied * 1000 + strength * pooledPerMille) / denominator;
        }

        /// <summary>max(0, P − |a − b|)·1024/P for two shares in per mille (P = width in per mille, ≥ 1).</summary>
        public static int Of(long shareA, long shareB, int widthPerMille)
        {
            if (widthPerMille < 1) throw new ArgumentException("the label kernel's width must be at least 1 per mille");
            long d = Math.Abs(shareA - shareB);
            return d >= widthPerMille ? 0 : (int)((widthPerMille - d) * 1024 / widthPerMille);
        }
    }
}
