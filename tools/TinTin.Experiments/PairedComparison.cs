using System;
using System.Linq;
using MathNet.Numerics.Distributions;

namespace TinTin.Experiments
{
    /// <summary>
    /// Paired differences reference − baseline over seeds (one pair per seed: same pre-trained model,
    /// same button presses, same budget): mean, sample standard deviation, 95 % t confidence interval,
    /// wins/losses/ties, the two-sided paired t-test and the exact two-sided sign-flip (permutation)
    /// test, which assumes nothing about the shape of the differences (exact up to 20 seeds; beyond,
    /// 2^20 random sign patterns with a fixed seed).
    /// </summary>
    public sealed class PairedComparison
    {
        public string Reference { get; init; }
        public string Baseline { get; init; }
        /// <summary>reference − baseline, one per seed (in accuracy points).</summary>
        public double[] Differences { get; init; }
        public double Mean { get; init; }
        public double StandardDeviation { get; init; }
        public double CiLow { get; init; }
        public double CiHigh { get; init; }
        public int Wins { get; init; }
        public int Losses { get; init; }
        public int Ties { get; init; }
        /// <summary>Two-sided paired t-test (NaN with fewer than 2 seeds or all differences equal and non-zero handled as 0 / 1).</summary>
        public double TTestP { get; init; }
        /// <summary>Two-sided exact sign-flip test on the mean difference.</summary>
        public double PermutationP { get; init; }

        /// <summary>Differences closer to zero than this count as ties (accuracy points).</summary>
        public const double TieTolerance = 1e-9;

        public static PairedComparison Of(string reference, string baseline, double[] referenceValues, double[] baselineValues)
        {
            if (referenceValues.Length != baselineValues.Length) throw new ArgumentException("paired samples differ in length");
            int n = referenceValues.Length;
            double[] d = new double[n];
            for (int i = 0; i < n; i++) d[i] = referenceValues[i] - baselineValues[i];
            double mean = n > 0 ? d.Average() : 0;
            double sd = n > 1 ? Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (n - 1)) : 0;
            double low = mean, high = mean, tp = double.NaN;
            if (n > 1)
            {
                double se = sd / Math.Sqrt(n);
                if (se > 0)
                {
                    double q = StudentT.InvCDF(0, 1, n - 1, 0.975);
                    low = mean - q * se;
                    high = mean + q * se;
                    tp = 2 * (1 - StudentT.CDF(0, 1, n - 1, Math.Abs(mean / se)));
                }
                else tp = mean == 0 ? 1 : 0;
            }
            return new PairedComparison
            {
                Reference = reference,
                Baseline = baseline,
                Differences = d,
                Mean = mean,
                StandardDeviation = sd,
                CiLow = low,
                CiHigh = high,
                Wins = d.Count(x => x > TieTolerance),
                Losses = d.Count(x => x < -TieTolerance),
                Ties = d.Count(x => Math.Abs(x) <= TieTolerance),
                TTestP = tp,
                PermutationP = SignFlipP(d),
            };
        }

        /// <summary>Share of sign patterns whose |mean| is at least the observed |mean| (two-sided).</summary>
        public static double SignFlipP(double[] d)
        {
            int n = d.Length;
            if (n == 0) return 1;
            double observed = Math.Abs(d.Sum()) - 1e-9;
            long extreme = 0, total = 0;
            if (n <= 20)
            {
                for (long mask = 0; mask < (1L << n); mask++)
                {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += (mask & (1L << i)) != 0 ? -d[i] : d[i];
                    if (Math.Abs(s) >= observed) extreme++;
                    total++;
                }
            }
            else
            {
                var random = new Random(12345);
                for (total = 0; total < (1 << 20); total++)
                {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += random.Next(2) == 0 ? -d[i] : d[i];
                    if (Math.Abs(s) >= observed) extreme++;
                }
            }
            return (double)extreme / total;
        }
    }
}
