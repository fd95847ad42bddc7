using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    public class QMathTests
    {
        [Theory]
        [InlineData(5, 1, 3)]     // 2.5 → 3 (ties away from zero)
        [InlineData(-5, 1, -3)]
        [InlineData(6, 2, 2)]     // 1.5 → 2
        [InlineData(5, 2, 1)]     // 1.25 → 1
        [InlineData(-6, 2, -2)]
        [InlineData(7, 0, 7)]
        [InlineData(int.MaxValue, 31, 0)]
        [InlineData(int.MinValue, 1, -1073741824)]
        public void RoundingShiftRight_rounds_to_nearest_ties_away(int value, int shift, int expected)
        {
            Assert.Equal(expected, QMath.RoundingShiftRight(value, shift));
        }

        [Fact]
        public void Left_shifts_saturate_instead_of_wrapping()
        {
            Assert.Equal(QMath.Int32Max, QMath.ShiftLeftSaturating(1 << 20, 12));
            Assert.Equal(QMath.Int32Min, QMath.ShiftLeftSaturating(-(1 << 20), 12));
            Assert.Equal(1 << 30, QMath.ShiftLeftSaturating(1, 30));
            Assert.Equal(QMath.Int32Max, QMath.ShiftRounded(3, -31));
            Assert.Equal(QMath.Int32Max, QMath.SaturatingAdd(int.MaxValue, 1));
            Assert.Equal(QMath.Int32Min, QMath.SaturatingAdd(-int.MaxValue, -5));
            Assert.Equal(127, QMath.SaturateToInt8(1000));
            Assert.Equal(-127, QMath.SaturateToInt8(-128));
            Assert.Equal(-32767, QMath.SaturateToInt16(-40000));
        }

        [Fact]
        public void Pseudo_stochastic_rounding_is_unbiased_over_the_discarded_bits()
        {
            // Over every possible discarded pattern, the mean result equals the exact quotient:
            // small values are not all rounded to zero.
            foreach (int shift in new[] { 2, 3, 4, 6, 8, 11 })
            {
                int span = 1 << shift;
                foreach (int whole in new[] { 0, 1, 5, -3 })
                {
                    long sum = 0;
                    for (int low = 0; low < span; low++)
                    {
                        int value = whole >= 0 ? (whole << shift) + low : -((-whole << shift) + low);
                        sum += QMath.PseudoStochasticShiftRight(value, shift);
                    }
                    double mean = (double)sum / span;
                    double exact = whole >= 0 ? whole + (span - 1) / 2.0 / span : whole - (span - 1) / 2.0 / span;
                    Assert.InRange(mean, exact - 1.0 / (1 << (shift / 2)) - 1e-9, exact + 1.0 / (1 << (shift / 2)) + 1e-9);
                }
            }
            // A value of 3/16 of a unit survives for some low-bit patterns instead of always vanishing.
            int survivors = 0;
            for (int low = 0; low < 16; low++) survivors += QMath.PseudoStochasticShiftRight(48 + low, 8);
            Assert.InRange(survivors, 1, 15);
        }

        [Fact]
        public void Exponent_rule_uses_the_full_int8_range_without_overflow()
        {
            for (int max = 0; max < 1 << 20; max = max * 3 / 2 + 1)
            {
                int shift = QMath.Int8ShiftFor(max);
                int top = QMath.RoundingShiftRight(max, shift);
                Assert.InRange(top, 0, 127);
                if (max >= 64) Assert.InRange(top, 64, 127);
                if (shift > 0) Assert.True(QMath.RoundingShiftRight(max, shift - 1) > 127, $"shift {shift} for {max} is not the smallest");
            }
        }
    }
}
