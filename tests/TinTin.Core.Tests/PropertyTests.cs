using System;
using FsCheck;
using FsCheck.Xunit;
using TinTin.Core;

namespace TinTin.Core.Tests
{
    /// <summary>
    /// Properties checked with FsCheck (random inputs, and on failure the smallest failing input after
    /// shrinking): the engine's rounding helpers against exact arithmetic, ShiftSum against its mantissa,
    /// and the board's CRC-32 against System.IO.Hashing's.
    /// </summary>
    public class PropertyTests
    {
        // DoNotSize<int>: the whole int range (FsCheck's plain int stays within ±size, about ±100).
        private static int Shift(byte seed) => seed % 31; // 0..30, as the engine uses them

        [Property(MaxTest = 5000)]
        public bool RoundingShiftRight_is_exact_division_rounded_half_away_from_zero(DoNotSize<int> full, byte shiftSeed)
        {
            int value = full.Item;
            int shift = Shift(shiftSeed);
            long expected = (long)Math.Round(value / Math.Pow(2, shift), MidpointRounding.AwayFromZero);
            return QMath.RoundingShiftRight(value, shift) == expected;
        }

        [Property(MaxTest = 3000)]
        public bool RequantizeToInt8Fast_equals_RequantizeToInt8(byte countSeed, byte scaleSeed, int seed)
        {
            // The fast kernels' accumulators: |v| ≤ 2^30 (bias clamp) plus int8 products; every scale, tails of 0..3.
            int count = countSeed % 40 + 1;
            int bits = scaleSeed % 31; // largest magnitude below 2^bits
            var random = new Random(seed);
            var values = new int[count];
            for (int i = 0; i < count; i++) values[i] = (int)(random.NextInt64(-(1L << bits) + 1, 1L << bits));
            var fast = new sbyte[count];
            var reference = new sbyte[count];
            return QMath.RequantizeToInt8Fast(values, count, fast) == QMath.RequantizeToInt8(values, count, reference)
                && fast.AsSpan().SequenceEqual(reference);
        }

        [Property(MaxTest = 5000)]
        public bool The_64_bit_shifts_agree_with_the_32_bit_ones(DoNotSize<int> full, byte shiftSeed)
        {
            int value = full.Item;
            if (value == int.MinValue) value = -int.MaxValue; // the engine's values are symmetric (saturated to ±int.MaxValue)
            int shift = Shift(shiftSeed);
            return QMath.PseudoStochasticShiftRight(value, shift) == QMath.ShiftStochastic64(value, shift)
                && QMath.RoundingShiftRight(value, shift) == QMath.ShiftRounded64(value, shift);
        }

        [Property(MaxTest = 2000)]
        public bool ShiftSum_terms_sum_to_the_mantissa_product(DoNotSize<int> numerator, DoNotSize<int> denominator, byte termsSeed, DoNotSize<int> full)
        {
            int value = full.Item;
            if (value == int.MinValue) value = -int.MaxValue;
            ShiftSum s = ShiftSum.FromRatio((int)((uint)numerator.Item % 100000) + 1, (int)((uint)denominator.Item % 100000) + 1, termsSeed % 4 + 1);
            return (long)value * s.Mantissa == s.SumOfTerms(value);
        }

        [Property(MaxTest = 3000)]
        public bool ShiftSum_apply_by_product_equals_the_terms_rounded_by_QMath(DoNotSize<int> numerator, DoNotSize<int> denominator, byte termsSeed, DoNotSize<int> full, sbyte extra)
        {
            // ApplyRounded/ApplyStochastic multiply by the mantissa (one multiply, not 31 loop turns on the
            // interpreter); the definition is the sum of shifted terms through QMath's 64-bit rounding.
            int value = full.Item;
            ShiftSum s = ShiftSum.FromRatio((int)((uint)numerator.Item % 100000) + 1, (int)((uint)denominator.Item % 100000) + 1, termsSeed % 4 + 1);
            int extraShift = extra % 48;
            return s.ApplyRounded(value, extraShift) == QMath.ShiftRounded64(s.SumOfTerms(value), s.FractionBits + extraShift)
                && s.ApplyStochastic(value, extraShift) == QMath.ShiftStochastic64(s.SumOfTerms(value), s.FractionBits + extraShift);
        }

        [Property(MaxTest = 5000)]
        public bool BitLength_counts_the_bits_of_any_long(DoNotSize<long> full, byte cut)
        {
            // BitLength halves instead of looping per bit; the definition is the loop. Cut the value to
            // every length so small ones are tried as often as large ones.
            long value = full.Item >> (cut % 64);
            int bits = 0;
            for (ulong v = (ulong)value; v != 0; v >>= 1) bits++;
            return QMath.BitLength(value) == bits;
        }

        [Property(MaxTest = 5000)]
        public bool Int8ShiftFor_is_the_smallest_shift_that_fits_int8(DoNotSize<int> full, byte cut)
        {
            int maxAbs = full.Item >> (cut % 32);
            if (maxAbs < 0) maxAbs = maxAbs == int.MinValue ? int.MaxValue : -maxAbs;
            int expected = 0;
            while (QMath.RoundingShiftRight(maxAbs, expected) > QMath.Int8Max) expected++;
            return QMath.Int8ShiftFor(maxAbs) == expected;
        }

        [Property(MaxTest = 500)]
        public bool More_ShiftSum_terms_never_worsen_the_approximation(DoNotSize<int> numerator, DoNotSize<int> denominator)
        {
            int n = (int)((uint)numerator.Item % 9999) + 1, d = (int)((uint)denominator.Item % 9999) + 1;
            double exact = (double)n / d, previous = double.MaxValue;
            for (int terms = 1; terms <= 6; terms++)
            {
                double error = Math.Abs(ValueOf(ShiftSum.FromRatio(n, d, terms)) - exact) / exact;
                // The greedy terms approximate n/d truncated to the mantissa grid (at least 2^26 units
                // for these ratios), so a term that lands exactly on the grid may step back by up to
                // one unit of it: e.g. an over-shoot of one unit becomes the truncation's 0.9 unit.
                if (error > previous + MantissaGridRelative) return false;
                previous = error;
            }
            return previous < 1.0 / 32; // each greedy term at least halves the residual
        }

        private const double MantissaGridRelative = 1.0 / (1 << 26);

        private static double ValueOf(ShiftSum s) => s.Mantissa * Math.Pow(2, -s.FractionBits);

        [Property(MaxTest = 2000)]
        public bool Crc32_equals_System_IO_Hashing_on_any_bytes_and_any_split(byte[] data, int split)
        {
            data ??= Array.Empty<byte>();
            uint oracle = System.IO.Hashing.Crc32.HashToUInt32(data);
            if (Crc32.Compute(data, 0, data.Length) != oracle) return false;
            // The running form, split anywhere (how the model file and checkpoints feed it), gives the same.
            int cut = data.Length == 0 ? 0 : (int)((uint)split % (uint)(data.Length + 1));
            uint running = Crc32.Update(0xFFFFFFFFu, data, 0, cut);
            running = Crc32.Update(running, data, cut, data.Length - cut) ^ 0xFFFFFFFFu;
            return running == oracle;
        }
    }
}
