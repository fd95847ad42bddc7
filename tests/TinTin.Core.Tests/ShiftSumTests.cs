using System;
using TinTin.Core;
using Xunit;

namespace TinTin.Core.Tests
{
    public class ShiftSumTests
    {
        private static double Value(ShiftSum s) => s.Mantissa / Math.Pow(2, s.FractionBits);

        [Theory]
        [InlineData(1, 100, 4, 0.003)]    // 0.01 with 4 terms: within 0.3 %
        [InlineData(9, 10, 3, 0.01)]      // momentum 0.9
        [InlineData(32, 150, 4, 0.003)]
        [InlineData(3, 1, 2, 0.0)]        // 3 = 4 − 1 exactly
        [InlineData(1, 64, 1, 0.0)]
        public void FromRatio_is_close_with_few_terms(int numerator, int denominator, int terms, double relativeBound)
        {
            ShiftSum s = ShiftSum.FromRatio(numerator, denominator, terms);
            Assert.True(s.TermCount <= terms, $"{s.TermCount} terms");
            double exact = (double)numerator / denominator;
            Assert.InRange(Math.Abs(Value(s) - exact) / exact, 0, relativeBound + 1e-12);
        }

        [Fact]
        public void ApplyRounded_matches_the_rational_result()
        {
            ShiftSum s = ShiftSum.FromRatio(3, 8, 2); // exactly 0.375
            Assert.Equal(38, s.ApplyRounded(100, 0));   // 37.5 → 38
            Assert.Equal(-38, s.ApplyRounded(-100, 0));
            Assert.Equal(19, s.ApplyRounded(100, 1));   // 18.75 → 19
            Assert.Equal(75, s.ApplyRounded(100, -1));
            Assert.Equal(375000, s.PartsPerMillion);
        }

        [Theory]
        [InlineData(int.MaxValue, 1 << 20)]      // large numerators must not overflow the 64-bit target
        [InlineData(1 << 30, 3)]
        [InlineData(int.MaxValue, int.MaxValue)]
        [InlineData(1, int.MaxValue)]
        public void FromRatio_handles_the_whole_int_range(int numerator, int denominator)
        {
            ShiftSum s = ShiftSum.FromRatio(numerator, denominator, 4);
            double exact = (double)numerator / denominator;
            Assert.InRange(Math.Abs(Value(s) - exact) / exact, 0, 0.01);
        }

        [Fact]
        public void Invalid_ratios_are_rejected_with_a_reason()
        {
            Assert.Contains("denominator", Assert.Throws<ArgumentException>(() => ShiftSum.FromRatio(1, 0, 2)).Message);
            Assert.Contains("numerator", Assert.Throws<ArgumentException>(() => ShiftSum.FromRatio(-1, 3, 2)).Message);
            Assert.Throws<ArgumentException>(() => new ShiftSum(3, 1, 4));
        }
    }
}
