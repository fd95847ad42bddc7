using System;

namespace TinTin.FleetHost
{
    /// <summary>
    /// The label-prior kernel of the session-8 experiment (docs/experiments/fleet.md, `fleet simulate --label-kernel-width`): how alike
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
            // The input-statistics kernel's triangle (distances there in 1/256 units; the scaling cancels exactly).
            return TinTin.Fleet.FleetStats.KernelOfDistance(Math.Abs(shareA - shareB) * 256, widthPerMille);
        }

        /// <summary>
        /// The kernel between boards A and B from their labels (class-1 and all labelled, presses or samples) and the fleet's
        /// pooled labels: the pooled share, each board's share shrunk towards it by strength, then <see cref="Of"/>.
        /// </summary>
        public static int Between(long oneA, long allA, long oneB, long allB, long pooledOne, long pooledAll, int strength, int widthPerMille)
        {
            long pooled = pooledAll == 0 ? 0 : pooledOne * 1000 / pooledAll;
            return Of(SharePerMille(oneA, allA, pooled, strength), SharePerMille(oneB, allB, pooled, strength), widthPerMille);
        }

        /// <summary>The command line's check of --label-kernel-width and --label-prior-strength (null: fine).</summary>
        public static string OptionProblem(int widthPerMille, int strength)
        {
            if (widthPerMille < 0 || widthPerMille > 1000) return "--label-kernel-width must be in 0..1000 (per mille)";
            if (strength < 0 || strength > 100000) return "--label-prior-strength must be in 0..100000";
            return null;
        }
    }
}
