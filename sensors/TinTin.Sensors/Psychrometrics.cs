namespace TinTin.Sensors
{
    /// <summary>
    /// Integer psychrometrics (no float, nano subset): saturation vapour pressure by the Magnus
    /// formula (Sonntag 1990 / WMO constants, over water) es(T) = 611.2 Pa · exp(17.62·T / (243.12 + T)),
    /// and the humidity ratio W = 0.621945 · pw / (p − pw), pw = RH/100 · es.
    ///
    /// exp is evaluated as 2^y: y = x·log2(e) in Q28, the integer part of y is a shift and 2^frac
    /// a degree-7 series in Q30: within 5e-6 (relative) of the double-precision Magnus formula
    /// over −40..85 °C (test), far below the Magnus formula's own error. Accuracy against the occupancy data's HumidityRatio column (which was computed with
    /// the ASHRAE Hyland–Wexler saturation formula at 101325 Pa): mean −0.28 %, worst −0.36 %
    /// relative, worst 21 mg/kg absolute on datatraining.txt and datatest2.txt (W ≈ 2.7..6.5 g/kg):
    /// the Magnus-vs-Hyland–Wexler difference, nearly constant over the data (test
    /// Humidity_ratio_matches_the_dataset_column prints the figures). A BME280's
    /// own humidity accuracy is ±3 %RH, i.e. ±10 % of W.
    /// </summary>
    public static class Psychrometrics
    {
        /// <summary>Standard atmosphere, used when the source has no pressure.</summary>
        public const int StandardPressurePa = 101325;

        private const long One30 = 1L << 30;
        private const long Log2E30 = 1549082005L;  // log2(e) · 2^30
        private const long Ln2Q30 = 744261118L;     // ln(2) · 2^30

        /// <summary>Saturation vapour pressure over water in mPa for a temperature in 0.01 °C (−40..85 °C; clamped to it).</summary>
        public static long SaturationVapourPressureMilliPa(int temperatureCentiC)
        {
            long tc = temperatureCentiC;
            if (tc < SensorLimits.MinTemperatureCentiC) tc = SensorLimits.MinTemperatureCentiC;
            if (tc > SensorLimits.MaxTemperatureCentiC) tc = SensorLimits.MaxTemperatureCentiC;
            // x = 17.62·T / (243.12 + T) with T = tc/100  →  x = 1762·tc / (100·(24312 + tc)), in Q28.
            long num = 1762L * tc * (1L << 28);
            long den = 100L * (24312L + tc);
            long xq28 = DivRound(num, den);      // |x| < 4.6
            long yq28 = (xq28 * Log2E30) >> 30;  // y = x·log2(e), Q28, about −5..+6.6
            long n = yq28 >> 28;                 // floor(y)
            long frac = yq28 - (n << 28);        // 0 ≤ frac < 2^28
            long z = (frac * Ln2Q30) >> 28;      // frac·ln2 in Q30, 0 ≤ z < ln2
            long r = One30;                      // e^z by Horner, degree 7
            for (int k = 7; k >= 1; k--) r = One30 + ((z * r) >> 30) / k;
            long es = 611200L * r;               // mPa · 2^30
            int shift = (int)(30 - n);
            return (es + (1L << (shift - 1))) >> shift;
        }

        /// <summary>Water vapour partial pressure in mPa for T in 0.01 °C and RH in 0.01 %.</summary>
        public static long VapourPressureMilliPa(int temperatureCentiC, int humidityCentiPercent)
        {
            long rh = humidityCentiPercent;
            if (rh < 0) rh = 0;
            if (rh > 10000) rh = 10000;
            return DivRound(SaturationVapourPressureMilliPa(temperatureCentiC) * rh, 10000);
        }

        /// <summary>
        /// Humidity ratio in mg water per kg dry air (kg/kg × 1e6) from T (0.01 °C), RH (0.01 %)
        /// and pressure (Pa; pass <see cref="StandardPressurePa"/> without a barometer).
        /// </summary>
        public static int HumidityRatioMgPerKg(int temperatureCentiC, int humidityCentiPercent, int pressurePa)
        {
            long pw = VapourPressureMilliPa(temperatureCentiC, humidityCentiPercent);
            long p = (long)pressurePa * 1000;
            long dry = p - pw;
            if (dry < 1000000) dry = 1000000; // ≥ 1 kPa of dry air: keeps nonsense inputs finite
            return (int)DivRound(621945L * pw, dry);
        }

        /// <summary>Rounded division, half away from zero; den &gt; 0.</summary>
        public static long DivRound(long num, long den)
        {
            if (num >= 0) return (num + den / 2) / den;
            return -((-num + den / 2) / den);
        }
    }
}
