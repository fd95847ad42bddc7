using System;
using TinTin.Core;

namespace TinTin.Reference
{
    /// <summary>Chooses the integer input normalisation on the PC: offset = mean, scale = 2^(−inputExponent)/std as a ShiftSum.</summary>
    public static class NormalizerFit
    {
        public const int DefaultInputExponent = -5; // one int8 unit = 1/32 standard deviation; ±127 covers ±4σ
        public const int ScaleTerms = 4;

        /// <summary>decimals: each feature's raw fixed point (raw = value · 10^d), stored in the model file; null: all 2 (centi-units).</summary>
        public static InputNormalizer Fit(int[][] raw, int inputExponent = DefaultInputExponent, int[] decimals = null)
        {
            if (raw.Length == 0) throw new ArgumentException("no rows to fit a normaliser on");
            int features = raw[0].Length;
            if (decimals != null && decimals.Length != features) throw new ArgumentException($"{decimals.Length} feature decimals for {features} features");
            var scales = new FeatureScale[features];
            for (int f = 0; f < features; f++)
            {
                double mean = 0;
                foreach (int[] row in raw) mean += row[f];
                mean /= raw.Length;
                double variance = 0;
                foreach (int[] row in raw) variance += (row[f] - mean) * (row[f] - mean);
                double std = Math.Sqrt(variance / raw.Length);
                if (std < 1) std = 1; // a constant feature: keep it, unscaled
                // scale = 2^(-inputExponent) / std as numerator/denominator integers
                double scale = Math.Pow(2, -inputExponent) / std;
                int denominator = 1 << 20;
                long numerator = (long)Math.Round(scale * denominator);
                while (numerator > int.MaxValue) { numerator >>= 1; denominator >>= 1; }
                if (numerator < 1) numerator = 1;
                scales[f] = new FeatureScale((int)Math.Round(mean), ShiftSum.FromRatio((int)numerator, denominator, ScaleTerms),
                    decimals?[f] ?? FeatureScale.DefaultDecimals);
            }
            return new InputNormalizer(scales, inputExponent);
        }
    }
}
